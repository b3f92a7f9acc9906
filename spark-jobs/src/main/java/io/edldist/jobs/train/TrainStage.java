package io.edldist.jobs.train;

import static org.apache.spark.sql.functions.col;

import ai.djl.Model;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.Metrics;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.kd.DistillationLoss;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelMeta;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The student stage: trains the student on the driver from {@code soft_labels} (mode {@code kd}) or
 * from {@code samples} (mode {@code baseline}, hard labels only). It never runs the teacher. Both
 * modes see the same rows in the same order for the same seed, so they compare at equal budget. The
 * table is loaded into driver memory when its estimated size fits {@code train.memory-budget-mb},
 * else streamed every epoch (see {@link TrainingData}). The student is saved as {@code student-kd}
 * or {@code student-baseline} in the model store.
 */
public final class TrainStage {
  /** What the stage did. */
  public record Result(
      ModelBundle student, String mode, Trainer.Result training, boolean streamed, String runId) {}

  private final Lake lake;
  private final EdlConfig config;
  private final String runId;
  private boolean resume;

  public TrainStage(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  /** Continue from the latest checkpoint of this run (or, without run.id, the latest run). */
  public TrainStage resume(boolean value) {
    this.resume = value;
    return this;
  }

  public static String studentName(String mode) {
    return "student-" + mode;
  }

  public Result execute() {
    String mode = config.get(EdlConfig.TRAIN_MODE);
    boolean kd = mode.equals("kd");
    String name = studentName(mode);
    Features features = IngestStage.features(lake);
    int classes = IngestStage.classes(lake);
    long seed = config.get(EdlConfig.SEED);
    Dataset<Row> rows = kd ? softLabels() : trainSamples();
    long bytesPerRow =
        (long) features.size() * (Features.UINT8.equals(features.type()) ? 1 : 4)
            + (kd ? 4L * classes : 0)
            + 64;
    long budgetBytes = (long) config.get(EdlConfig.TRAIN_MEMORY_BUDGET_MB) << 20;
    boolean streamed = rows.count() * bytesPerRow > budgetBytes;
    TrainingData data =
        streamed
            ? TrainingData.streaming(rows, features, classes, kd, seed)
            : TrainingData.inMemory(rows, features, classes, kd, seed);
    ModelMeta meta =
        new ModelMeta(
            name,
            "",
            ModelMeta.DJL,
            config.get(EdlConfig.STUDENT_ARCH),
            config.get(EdlConfig.STUDENT_HIDDEN),
            features.shape(),
            classes,
            0);
    String run = resume ? resumeRun(name) : runId;
    Metrics metrics = new Metrics(run, "train-" + mode);
    double alpha = kd ? config.get(EdlConfig.TRAIN_ALPHA) : 1.0;
    Trainer.Settings settings =
        new Trainer.Settings(
            "train " + mode,
            config.get(EdlConfig.TRAIN_EPOCHS),
            config.get(EdlConfig.TRAIN_BATCH_SIZE),
            config.get(EdlConfig.TRAIN_LEARNING_RATE),
            config.get(EdlConfig.TRAIN_LR_SCHEDULE).equals("cosine"),
            seed,
            new DistillationLoss(config.get(EdlConfig.TRAIN_TEMPERATURE), alpha),
            config.get(EdlConfig.TRAIN_CHECKPOINT_EVERY),
            config.get(EdlConfig.TRAIN_LOG_EVERY));
    try (Model model = Models.create(meta, seed)) {
      Trainer.Result trained =
          new Trainer(model, settings)
              .metrics(metrics)
              .checkpoints(new Checkpoints(lake, run, name))
              .fit(data, resume);
      ModelBundle bundle = new ModelStore(lake).save(Models.bundle(meta, model));
      metrics.add("samples_per_second", trained.samplesPerSecond());
      metrics.add("seconds", trained.seconds());
      metrics.add("final_loss", trained.finalLoss());
      metrics.add("streamed", streamed ? 1 : 0);
      metrics.flush(lake);
      return new Result(bundle, mode, trained, streamed, run);
    }
  }

  private Dataset<Row> trainSamples() {
    return lake.read(Lake.SAMPLES).where(col("split").equalTo("train"));
  }

  private Dataset<Row> softLabels() {
    String teacherId = InferStage.teacher(lake, config).meta().id();
    Dataset<Row> rows =
        lake.read(Lake.SOFT_LABELS)
            .where(col("teacher_id").equalTo(teacherId).and(col("split").equalTo("train")));
    long have = rows.count();
    long want = trainSamples().count();
    if (have < want) {
      throw EdlException.cannot(
          "train with distillation",
          "soft_labels holds " + have + " of " + want + " train samples for teacher " + teacherId,
          "Run 'edl-dist infer' first; it scores only the missing samples");
    }
    return rows;
  }

  /** With run.id set, that run; otherwise the latest run holding checkpoints of this student. */
  private String resumeRun(String name) {
    if (!config.get(EdlConfig.RUN_ID).isEmpty()) {
      return runId;
    }
    List<String> runs = lake.list("checkpoints");
    for (int i = runs.size() - 1; i >= 0; i--) {
      if (!lake.list("checkpoints/" + runs.get(i) + "/" + name).isEmpty()) {
        return runs.get(i);
      }
    }
    return runId;
  }
}
