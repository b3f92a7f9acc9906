package io.edldist.jobs.bench;

import static org.apache.spark.sql.functions.col;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SoftLabels;
import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.train.Models;
import io.edldist.jobs.train.TrainStage;
import io.edldist.jobs.train.Trainer;
import io.edldist.jobs.train.TrainingData;
import io.edldist.udfs.infer.BatchTranslator;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.ModelMeta;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The two pipelines of distillation, each run to the end over the first {@code rows} train samples
 * for {@code train.epochs} epochs, pair by pair:
 *
 * <ul>
 *   <li>online: load the samples, train the student with the teacher's forward pass inside the loop
 *       for every batch of every epoch;
 *   <li>offline: score the samples once with the Spark infer stage (into a scratch lake), load the
 *       soft labels, train the student from them.
 * </ul>
 *
 * {@code offline_kd_speedup} compares the two training loops alone; {@code end_to_end_speedup} the
 * whole pipelines. Same student, seed, batches and loss on both sides. Warm-up pairs train one
 * epoch.
 */
final class TrainingBench {
  private final Lake lake;
  private final EdlConfig config;
  private final ModelBundle teacher;
  private final Features features;
  private final int classes;
  private final int rows;
  private final String runId;

  TrainingBench(
      Lake lake,
      EdlConfig config,
      ModelBundle teacher,
      Features features,
      int classes,
      int rows,
      String runId) {
    this.lake = lake;
    this.config = config;
    this.teacher = teacher;
    this.features = features;
    this.classes = classes;
    this.rows = rows;
    this.runId = runId;
  }

  BenchResult.Training measure(int repeats) {
    int epochs = config.get(EdlConfig.TRAIN_EPOCHS);
    long seed = config.get(EdlConfig.SEED);
    Dataset<Row> slice =
        lake.read(Lake.SAMPLES).where(col("split").equalTo("train")).orderBy("id").limit(rows);
    List<Double> inferSeconds = new ArrayList<>();
    List<Double> offlineLoops = new ArrayList<>();
    List<Double> onlineLoops = new ArrayList<>();
    try (ScratchLake scratch = ScratchLake.of(lake, slice, teacher)) {
      long used = scratch.lake().read(Lake.SAMPLES).count();
      Pairs.Seconds s =
          Pairs.measure(
              "training: online / offline pipeline",
              repeats,
              warmup -> {
                long start = System.nanoTime();
                TrainingData plain =
                    TrainingData.inMemory(
                        scratch.lake().read(Lake.SAMPLES), features, classes, false, seed);
                try (Predictor<BatchTranslator.Batch, float[]> p =
                    ModelCache.get(teacher).newPredictor(new BatchTranslator())) {
                  double loop = train(new OnlineDistillation(plain, p), warmup ? 1 : epochs);
                  if (!warmup) {
                    onlineLoops.add(loop);
                  }
                }
                return Pairs.seconds(start);
              },
              warmup -> {
                long start = System.nanoTime();
                InferStage.Result scored = scratch.inferAll(config, runId);
                TrainingData soft =
                    TrainingData.inMemory(
                        SoftLabels.withSamples(
                            scratch.lake(), scored.teacherId(), "train", false, true),
                        features,
                        classes,
                        true,
                        seed);
                double loop = train(soft, warmup ? 1 : epochs);
                if (!warmup) {
                  inferSeconds.add(scored.seconds());
                  offlineLoops.add(loop);
                }
                return Pairs.seconds(start);
              });
      List<Double> loopRatios = new ArrayList<>();
      for (int i = 0; i < onlineLoops.size(); i++) {
        loopRatios.add(onlineLoops.get(i) / offlineLoops.get(i));
      }
      return new BenchResult.Training(
          used,
          epochs,
          config.get(EdlConfig.TRAIN_BATCH_SIZE),
          config.get(EdlConfig.STUDENT_ARCH) + "-" + config.get(EdlConfig.STUDENT_HIDDEN),
          onlineLoops,
          offlineLoops,
          inferSeconds,
          loopRatios,
          s.aOverB());
    }
  }

  /** Seconds of the student's training loop over {@code data}. */
  private double train(TrainingData data, int epochs) {
    ModelMeta meta =
        ModelMeta.untrained(
            "bench-student",
            config.get(EdlConfig.STUDENT_ARCH),
            config.get(EdlConfig.STUDENT_HIDDEN),
            features.shape(),
            classes);
    try (Model student = Models.create(meta, config.get(EdlConfig.SEED))) {
      return new Trainer(
              student,
              TrainStage.studentSettings(config, "bench", epochs),
              TrainStage.loss(config, config.get(EdlConfig.TRAIN_ALPHA)))
          .quiet()
          .fit(data, false)
          .seconds();
    }
  }
}
