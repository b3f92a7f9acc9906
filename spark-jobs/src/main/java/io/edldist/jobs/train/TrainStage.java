package io.edldist.jobs.train;

import static org.apache.spark.sql.functions.col;

import ai.djl.Device;
import ai.djl.Model;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.Metrics;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.lake.SoftLabels;
import io.edldist.jobs.runtime.Sessions;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.kd.DistillationLoss;
import io.edldist.udfs.model.Devices;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelMeta;
import io.edldist.udfs.train.Schedule;
import io.edldist.udfs.train.TrainLoop;
import io.edldist.udfs.train.TrainSettings;
import java.util.ArrayList;
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
      ModelBundle student,
      String mode,
      TrainLoop.Result training,
      boolean streamed,
      String runId) {}

  private final Lake lake;
  private final EdlConfig config;
  private final String runId;
  private boolean resume;
  private final List<TrainLoop.Listener> listeners = new ArrayList<>();

  public TrainStage(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  /** Observes every training step (progress reporting; a listener that throws stops the run). */
  public TrainStage listener(TrainLoop.Listener value) {
    listeners.add(value);
    return this;
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
    SamplesMeta samples = SamplesMeta.of(lake);
    Features features = samples.features();
    int classes = samples.classes();
    long seed = config.get(EdlConfig.SEED);
    String teacherId = kd ? teacherId(samples) : null;
    long count =
        kd
            ? SoftLabels.of(lake, teacherId, false).where(col("split").equalTo("train")).count()
            : trainSamples().count();
    if (kd) {
      requireAllSoftLabels(count, teacherId);
    }
    boolean streamed = count * bytesPerRow(features, kd ? classes : 0) > memoryBudget();
    Dataset<Row> rows =
        kd ? SoftLabels.withSamples(lake, teacherId, "train", true, !streamed) : trainSamples();
    try (TrainingData data =
        streamed
            ? TrainingData.streaming(rows, features, classes, kd, seed)
            : TrainingData.inMemory(rows, features, classes, kd, seed)) {
      return train(data, streamed);
    }
  }

  private Result train(TrainingData data, boolean streamed) {
    String mode = config.get(EdlConfig.TRAIN_MODE);
    String name = studentName(mode);
    Features features = data.features();
    ModelMeta meta =
        ModelMeta.untrained(
            name,
            config.get(EdlConfig.STUDENT_ARCH),
            config.get(EdlConfig.STUDENT_HIDDEN),
            features.shape(),
            data.classes());
    String run = resume ? resumeRun(name) : runId;
    Metrics metrics = new Metrics(run, "train-" + mode);
    double alpha = data.withLogits() ? config.get(EdlConfig.TRAIN_ALPHA) : 1.0;
    try (Model model = Models.create(meta, data.seed(), device(lake, config))) {
      Trainer trainer =
          new Trainer(
                  model,
                  studentSettings(config, "train " + mode, config.get(EdlConfig.TRAIN_EPOCHS)),
                  loss(config, alpha))
              .metrics(metrics, config.get(EdlConfig.TRAIN_LOG_EVERY))
              .progressEvery(config.get(EdlConfig.TRAIN_PROGRESS_EVERY))
              .checkpoints(
                  new Checkpoints(lake, run, name), config.get(EdlConfig.TRAIN_CHECKPOINT_EVERY));
      listeners.forEach(trainer::listener);
      TrainLoop.Result trained = trainer.fit(data, resume);
      ModelBundle bundle = new ModelStore(lake).save(ModelBundle.ofBlock(meta, model));
      metrics.add("samples_per_second", trained.samplesPerSecond());
      metrics.add("seconds", trained.seconds());
      metrics.add("final_loss", trained.finalLoss());
      metrics.add("streamed", streamed ? 1 : 0);
      metrics.flush(lake);
      return new Result(bundle, mode, trained, streamed, run);
    }
  }

  /** The driver's device for training ({@code train.device}, the GPU Spark assigned to it). */
  public static Device device(Lake lake, EdlConfig config) {
    return Devices.choose(
        config.get(EdlConfig.TRAIN_DEVICE),
        Sessions.driverGpu(lake.spark()),
        "the driver",
        "train.device");
  }

  /** Training settings of a student from the train.* keys. */
  public static TrainSettings studentSettings(EdlConfig config, String label, int epochs) {
    return TrainSettings.builder()
        .setLabel(label)
        .setEpochs(epochs)
        .setBatchSize(config.get(EdlConfig.TRAIN_BATCH_SIZE))
        .setLearningRate(config.get(EdlConfig.TRAIN_LEARNING_RATE))
        .optSchedule(Schedule.named(config.get(EdlConfig.TRAIN_LR_SCHEDULE)))
        .optSeed(config.get(EdlConfig.SEED))
        .build();
  }

  /** The distillation loss at train.temperature with this weight of the hard labels. */
  public static DistillationLoss loss(EdlConfig config, double alpha) {
    return new DistillationLoss(config.get(EdlConfig.TRAIN_TEMPERATURE), alpha);
  }

  /** Driver memory one row takes in the in-memory path: features, logits, id, label, refs. */
  static long bytesPerRow(Features features, int logits) {
    long featureBytes = (long) features.size() * (Features.UINT8.equals(features.type()) ? 1 : 4);
    return featureBytes + 16 + (logits > 0 ? 4L * logits + 16 : 0) + 32;
  }

  /** train.memory-budget-mb, but never more than half of the driver's heap. */
  private long memoryBudget() {
    long configured = (long) config.get(EdlConfig.TRAIN_MEMORY_BUDGET_MB) << 20;
    return Math.min(configured, Runtime.getRuntime().maxMemory() / 2);
  }

  private Dataset<Row> trainSamples() {
    return lake.readPinned(Lake.SAMPLES).where(col("split").equalTo("train"));
  }

  private String teacherId(SamplesMeta samples) {
    return new ModelStore(lake)
        .teacher(config.get(EdlConfig.TEACHER_NAME), config.get(EdlConfig.TEACHER_PATH), samples)
        .meta()
        .id();
  }

  /** Distillation needs a soft label for every train sample. */
  private void requireAllSoftLabels(long have, String teacherId) {
    long want = trainSamples().count();
    if (have < want) {
      throw EdlException.cannot(
          "train with distillation",
          "soft_labels holds " + have + " of " + want + " train samples for teacher " + teacherId,
          "Run 'edl-dist infer' first; it scores only the missing samples");
    }
  }

  /**
   * With run.id set, that run; otherwise the run whose checkpoints of this student were written
   * last (finished runs leave none).
   */
  private String resumeRun(String name) {
    if (!config.get(EdlConfig.RUN_ID).isEmpty()) {
      return runId;
    }
    return lake.list("checkpoints").stream()
        .filter(run -> !lake.list("checkpoints/" + run + "/" + name).isEmpty())
        .max(
            java.util.Comparator.comparingLong(
                run -> lake.modified("checkpoints/" + run + "/" + name)))
        .orElse(runId);
  }
}
