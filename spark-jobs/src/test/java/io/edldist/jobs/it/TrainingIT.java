package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Model;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.train.TrainStage;
import io.edldist.jobs.train.TrainingData;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.train.TrainLoop;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Data order, streaming, checkpoints and resume of the student stage. */
class TrainingIT extends SparkTestBase {
  private static Map<String, String> settings;

  @BeforeAll
  static void ingest() {
    settings = slice();
    settings.put("ingest.train-limit", "600");
    settings.put("ingest.test-limit", "100");
    new IngestStage(lake(), config(settings)).execute();
  }

  @Test
  void streamingAndInMemoryServeTheSameBatches() {
    Features features = SamplesMeta.of(lake()).features();
    Dataset<Row> rows = lake().read(Lake.SAMPLES).where("split = 'train'");
    TrainingData memory = TrainingData.inMemory(rows, features, 10, false, 42);
    TrainingData stream = TrainingData.streaming(rows, features, 10, false, 42);
    assertThat(memory.rows()).isEqualTo(stream.rows()).isEqualTo(600);
    for (int epoch = 0; epoch < 2; epoch++) {
      List<TrainingData.Batch> a = all(memory.epoch(epoch, 64, 0));
      List<TrainingData.Batch> b = all(stream.epoch(epoch, 64, 0));
      assertThat(a).hasSize(10).hasSameSizeAs(b);
      for (int i = 0; i < a.size(); i++) {
        assertThat(a.get(i).labels()).containsExactly(b.get(i).labels());
        assertThat(a.get(i).x()).containsExactly(b.get(i).x());
      }
    }
    int[] epoch0 = all(memory.epoch(0, 600, 0)).get(0).labels();
    int[] epoch1 = all(memory.epoch(1, 600, 0)).get(0).labels();
    assertThat(epoch0).isNotEqualTo(epoch1);
    // skipping batches starts exactly where an uninterrupted epoch would be
    assertThat(all(memory.epoch(1, 64, 3)).get(0).labels())
        .containsExactly(all(memory.epoch(1, 64, 0)).get(3).labels());
  }

  @Test
  void resumedTrainingEndsWhereUninterruptedTrainingEnds() {
    EdlConfig base = baseline("resume", 7);
    TrainStage.Result full = new TrainStage(lake(), base, "full").execute();
    assertThat(full.training().steps()).isEqualTo(20);
    // a finished run leaves no checkpoints behind
    assertThat(lake().list("checkpoints/resume/student-baseline")).isEmpty();

    // the same run crashing after step 9: its checkpoint at step 7 is all that is left
    assertThatThrownBy(
            () ->
                new TrainStage(lake(), base.with(EdlConfig.TRAIN_CHECKPOINT_EVERY, 7), "resume")
                    .listener(crashAfter(9))
                    .execute())
        .hasMessageContaining("crash after step 9");
    assertThat(lake().list("checkpoints/resume/student-baseline"))
        .containsExactly("step-0000000007");
    TrainStage.Result resumed = new TrainStage(lake(), base, "resume").resume(true).execute();
    assertThat(resumed.training().startStep()).isEqualTo(7);
    assertThat(resumed.training().steps()).isEqualTo(20);
    assertThat(resumed.student().meta().version()).isEqualTo(full.student().meta().version());
  }

  @Test
  void resumingWithOtherSettingsIsRefused() {
    EdlConfig base = baseline("mismatch", 5);
    assertThatThrownBy(
            () -> new TrainStage(lake(), base, "mismatch").listener(crashAfter(6)).execute())
        .hasMessageContaining("crash");
    assertThatThrownBy(
            () ->
                new TrainStage(lake(), base.with(EdlConfig.TRAIN_LEARNING_RATE, 0.01), "mismatch")
                    .resume(true)
                    .execute())
        .isInstanceOf(io.edldist.udfs.EdlException.class)
        .hasMessageContaining("Cannot resume from")
        .hasMessageContaining("learning-rate");
  }

  @Test
  void largeTablesAreStreamedWhenOverTheMemoryBudget() {
    EdlConfig c =
        config(settings)
            .with(
                Map.of(
                    "train.mode",
                    "baseline",
                    "train.memory-budget-mb",
                    "0",
                    "train.epochs",
                    "1",
                    "run.id",
                    "stream"));
    TrainStage.Result r = new TrainStage(lake(), c, "stream").execute();
    assertThat(r.streamed()).isTrue();
    assertThat(r.training().samples()).isEqualTo(600);
    try (Model m = r.student().load()) {
      assertThat(ModelBundle.countParameters(m.getBlock())).isEqualTo(r.student().meta().params());
    }
  }

  /** Baseline training, 2 epochs of 10 steps, checkpoints every {@code every} steps. */
  private static EdlConfig baseline(String run, int every) {
    return config(settings)
        .with(
            Map.of(
                "train.mode", "baseline",
                "train.checkpoint-every", String.valueOf(every),
                "train.epochs", "2",
                "train.batch-size", "64",
                "run.id", run));
  }

  /** A listener that stops the run after {@code step}, as a crash would. */
  private static TrainLoop.Listener crashAfter(long step) {
    return p -> {
      if (p.step() == step) {
        throw new IllegalStateException("crash after step " + step);
      }
    };
  }

  private static List<TrainingData.Batch> all(Iterator<TrainingData.Batch> it) {
    List<TrainingData.Batch> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
