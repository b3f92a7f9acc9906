package io.edldist.jobs.teacher;

import static org.apache.spark.sql.functions.col;

import ai.djl.Model;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.evaluate.TestSet;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.Metrics;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.train.Models;
import io.edldist.jobs.train.TrainStage;
import io.edldist.jobs.train.Trainer;
import io.edldist.jobs.train.TrainingData;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.kd.DistillationLoss;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelMeta;
import io.edldist.udfs.train.Schedule;
import io.edldist.udfs.train.TrainLoop;
import io.edldist.udfs.train.TrainSettings;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Trains the teacher on the train split of {@code samples} with the hard-label loss, on the driver,
 * and saves it to the model store under a content-hashed version. With {@code reuse}, a teacher
 * already in the store is returned as is (quickstart and bench use that).
 */
public final class TrainTeacherStage {
  /** What the stage did. */
  public record Result(ModelBundle teacher, double testAccuracy, double seconds, boolean reused) {}

  private final Lake lake;
  private final EdlConfig config;
  private final String runId;
  private boolean reuse;

  public TrainTeacherStage(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  public TrainTeacherStage reuse(boolean value) {
    this.reuse = value;
    return this;
  }

  public Result execute() {
    ModelStore store = new ModelStore(lake);
    String name = config.get(EdlConfig.TEACHER_NAME);
    if (reuse) {
      var existing = store.latest(name);
      if (existing.isPresent()) {
        return new Result(existing.get(), Double.NaN, 0, true);
      }
    }
    SamplesMeta samplesMeta = SamplesMeta.of(lake);
    Features features = samplesMeta.features();
    int classes = samplesMeta.classes();
    long seed = config.get(EdlConfig.SEED);
    Dataset<Row> samples = lake.read(Lake.SAMPLES);
    TrainingData data =
        TrainingData.inMemory(
            samples.where(col("split").equalTo("train")), features, classes, false, seed);
    ModelMeta meta =
        ModelMeta.untrained(
            name,
            config.get(EdlConfig.TEACHER_ARCH),
            config.get(EdlConfig.TEACHER_HIDDEN),
            features.shape(),
            classes);
    Metrics metrics = new Metrics(runId, "train-teacher");
    try (Model model = Models.create(meta, seed, TrainStage.device(lake, config))) {
      TrainSettings settings =
          TrainSettings.builder()
              .setLabel("train-teacher")
              .setEpochs(config.get(EdlConfig.TEACHER_EPOCHS))
              .setBatchSize(config.get(EdlConfig.TEACHER_BATCH_SIZE))
              .setLearningRate(config.get(EdlConfig.TEACHER_LEARNING_RATE))
              .optSchedule(Schedule.named(config.get(EdlConfig.TRAIN_LR_SCHEDULE)))
              .optSeed(seed)
              .build();
      TrainLoop.Result trained =
          new Trainer(model, settings, DistillationLoss.HARD_LABELS)
              .metrics(metrics, config.get(EdlConfig.TRAIN_LOG_EVERY))
              .fit(data, false);
      ModelBundle bundle = store.save(ModelBundle.ofBlock(meta, model));
      TestSet test = TestSet.of(samples.where(col("split").equalTo("test")), features, false);
      double accuracy = test.size() == 0 ? Double.NaN : test.accuracy(test.predictions(model, 256));
      metrics.add("test_accuracy", accuracy);
      metrics.add("samples_per_second", trained.samplesPerSecond());
      metrics.add("seconds", trained.seconds());
      metrics.flush(lake);
      return new Result(bundle, accuracy, trained.seconds(), false);
    }
  }
}
