package io.edldist.udfs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import io.edldist.udfs.EdlException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared training loop on a tiny regression problem, with real libtorch. */
class TrainLoopTest {
  /** y = 2x - 1 on 40 points, batches of {@code batchSize} in a fixed order per epoch. */
  private static final class Line implements TrainLoop.Batches<float[]> {
    @Override
    public long rows() {
      return 40;
    }

    @Override
    public Iterator<float[]> epoch(int epoch, int batchSize, long skip) {
      List<float[]> batches = new ArrayList<>();
      for (long from = skip * batchSize; from < rows(); from += batchSize) {
        int n = (int) Math.min(batchSize, rows() - from);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
          x[i] = ((from + i + 7L * epoch) % 40) / 40f;
        }
        batches.add(x);
      }
      return batches.iterator();
    }
  }

  private static final TrainLoop.Objective<float[]> MSE =
      new TrainLoop.Objective<>() {
        @Override
        public TrainLoop.Prepared prepare(float[] x, NDManager m, ParameterStore store) {
          NDArray in = m.create(x, new Shape(x.length, 1));
          return new TrainLoop.Prepared(new NDList(in), new NDList(in.mul(2).sub(1)), x.length);
        }

        @Override
        public NDArray loss(NDList outputs, NDList targets) {
          return outputs.singletonOrThrow().sub(targets.singletonOrThrow()).square().mean();
        }
      };

  private static Model model() {
    Engine.getEngine("PyTorch").setRandomSeed(3);
    Model model = Model.newInstance("line", "PyTorch");
    Block block = Linear.builder().setUnits(1).build();
    block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1));
    model.setBlock(block);
    return model;
  }

  private static TrainSettings settings(int epochs) {
    return TrainSettings.builder()
        .setLabel("line")
        .setEpochs(epochs)
        .setBatchSize(8)
        .setLearningRate(0.05)
        .build();
  }

  @Test
  void learnsAndReportsEveryStep() {
    try (Model model = model()) {
      List<TrainLoop.Progress> seen = new ArrayList<>();
      TrainLoop.Result r =
          new TrainLoop<>(
                  model.getBlock(), model.getNDManager(), settings(30), MSE, new Adam(0.05f))
              .run(new Line(), 0, seen::add);
      assertThat(r.steps()).isEqualTo(30 * 5).isEqualTo(seen.size());
      assertThat(r.finished()).isTrue();
      assertThat(r.samples()).isEqualTo(30 * 40);
      assertThat(r.finalLoss()).isLessThan(r.firstLoss() / 10);
      assertThat(seen.get(seen.size() - 1).step()).isEqualTo(150);
      assertThat(seen.get(5).epoch()).isEqualTo(1);
    }
  }

  @Test
  void aRunThatStartsAtAStepSkipsWhatCameBefore() {
    try (Model model = model()) {
      List<Long> steps = new ArrayList<>();
      TrainLoop.Result r =
          new TrainLoop<>(model.getBlock(), model.getNDManager(), settings(2), MSE, new Adam(0.05f))
              .run(new Line(), 7, p -> steps.add(p.step()));
      assertThat(r.startStep()).isEqualTo(7);
      assertThat(steps).containsExactly(8L, 9L, 10L);
      assertThat(r.samples()).isEqualTo(8 + 8 + 8);
    }
  }

  @Test
  void maxStepsCapsTheRun() {
    try (Model model = model()) {
      TrainLoop<float[]> loop =
          new TrainLoop<>(
              model.getBlock(),
              model.getNDManager(),
              settings(5).withMaxSteps(3),
              MSE,
              new Adam(0.05f));
      assertThat(loop.totalSteps(40)).isEqualTo(3);
      assertThat(loop.run(new Line(), 0, p -> {}).steps()).isEqualTo(3);
    }
  }

  @Test
  void aDivergingLossIsAUserErrorNamingTheRun() {
    try (Model model = model()) {
      TrainSettings tooFast =
          TrainSettings.builder()
              .setLabel("line")
              .setEpochs(50)
              .setBatchSize(8)
              .setLearningRate(1e30)
              .optSchedule(Schedule.CONSTANT)
              .build();
      assertThatThrownBy(
              () ->
                  new TrainLoop<>(
                          model.getBlock(), model.getNDManager(), tooFast, MSE, new Adam(1e30f))
                      .run(new Line(), 0, p -> {}))
          .isInstanceOf(EdlException.class)
          .hasMessageContaining("Cannot train line: the loss became");
    }
  }

  @Test
  void settingsNeedEpochsBatchAndRate() {
    assertThatThrownBy(() -> TrainSettings.builder().setBatchSize(8).setLearningRate(1).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(settings(3).schedule()).isEqualTo(Schedule.COSINE);
    assertThat(settings(3).seed()).isEqualTo(42);
    assertThat(settings(3).maxSteps()).isNull();
  }

  @Test
  void cosineDecaysToZeroAndConstantStays() {
    assertThat(Schedule.COSINE.factor(0, 100)).isEqualTo(1.0);
    assertThat(Schedule.COSINE.factor(50, 100))
        .isCloseTo(0.5, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(Schedule.COSINE.factor(100, 100))
        .isCloseTo(0, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(Schedule.CONSTANT.factor(99, 100)).isEqualTo(1.0);
    assertThat(Schedule.named("cosine")).isEqualTo(Schedule.COSINE);
    assertThat(Schedule.COSINE).hasToString("cosine");
  }
}
