package io.edldist.udfs.blockwise;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import io.edldist.udfs.model.BlockwiseModels;
import io.edldist.udfs.model.BlockwiseModels.ConvBlock;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.ModelMeta;
import io.edldist.udfs.model.TorchThreads;
import io.edldist.udfs.train.Adam;
import io.edldist.udfs.train.TrainLoop;
import io.edldist.udfs.train.TrainSettings;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * One Spark task of blockwise distillation: trains the student blocks assigned to this task's slot,
 * one after another, each with the mean squared error between its output and the teacher block's
 * output, on the teacher block's own input. No block waits for another block's student.
 *
 * <p>The teacher's input to a block is computed inside the task: every batch runs through the
 * teacher's prefix (the children before the block, inference mode, no gradient) and through the
 * teacher block for the target; the README gives the measurement that chose this over reading
 * stored activations. So a block costs epochs x rows x (prefix forward + teacher block forward +
 * student forward and backward): deeper blocks cost more, which the scheduler uses. Memory: one
 * batch of activations at a time, plus the broadcast training slice.
 *
 * <p>The teacher is a broadcast {@link ModelBundle} loaded once per JVM ({@link ModelCache}) and
 * shared read-only by concurrent tasks. Each task sets libtorch to {@code threads} threads; the
 * steps are {@link TrainLoop}'s, the same as the driver's trainer.
 */
public final class BlockTask implements FlatMapFunction<List<Integer>, BlockTask.Trained> {
  private static final long serialVersionUID = 1L;

  /**
   * How each block is trained, with how many libtorch threads, stored under which name prefix. A
   * cap on the steps ({@link TrainSettings#maxSteps}) makes it a profiling run: that many batches,
   * the first one untimed, and no bundle.
   */
  public record Settings(TrainSettings train, int threads, String modelPrefix)
      implements Serializable {}

  /**
   * One trained block: its number, the bundle ({@code ds-block} architecture; null when profiling),
   * samples seen, seconds (all of it and the teacher prefix part), and the loss of the first and
   * last batch.
   */
  public record Trained(
      int block,
      ModelBundle bundle,
      long samples,
      double seconds,
      double prefixSeconds,
      double firstLoss,
      double finalLoss)
      implements Serializable {
    public double secondsPerSample() {
      return samples == 0 ? 0 : seconds / samples;
    }
  }

  private final Broadcast<ModelBundle> teacher;
  private final Broadcast<float[]> samples;
  private final int[] sampleShape;
  private final Settings settings;

  public BlockTask(
      Broadcast<ModelBundle> teacher,
      Broadcast<float[]> samples,
      int[] sampleShape,
      Settings settings) {
    this.teacher = teacher;
    this.samples = samples;
    this.sampleShape = sampleShape.clone();
    this.settings = settings;
  }

  @Override
  public Iterator<Trained> call(List<Integer> blocks) {
    TorchThreads.set(settings.threads());
    ModelBundle bundle = teacher.value();
    Model model = ModelCache.get(bundle);
    List<ConvBlock> all = BlockwiseModels.replaceableBlocks(bundle.meta());
    List<Trained> out = new ArrayList<>();
    for (int number : blocks) {
      out.add(train(model, all.get(number - 1), bundle.meta()));
    }
    return out.iterator();
  }

  private Trained train(Model teacherModel, ConvBlock block, ModelMeta teacherMeta) {
    List<Block> children = ((SequentialBlock) teacherModel.getBlock()).getChildren().values();
    ModelMeta meta =
        ModelMeta.untrained(
            settings.modelPrefix() + block.number(),
            BlockwiseModels.DS_BLOCK,
            block.outChannels(),
            block.inputShape(),
            teacherMeta.classes());
    try (Model student = Model.newInstance(meta.name(), "PyTorch")) {
      Block studentBlock = BlockwiseModels.studentBlock(block);
      synchronized (BlockTask.class) {
        Engine.getInstance().setRandomSeed((int) (settings.train().seed() + block.number()));
        studentBlock.initialize(
            student.getNDManager(),
            DataType.FLOAT32,
            ModelBundle.batchShape(block.inputShape(), 1));
      }
      student.setBlock(studentBlock);
      MimicTeacherBlock objective = new MimicTeacherBlock(children, block.child());
      TrainSettings train = settings.train();
      long[] afterFirst = new long[2]; // nanos and samples when the first step ended
      TrainLoop.Result r =
          new TrainLoop<>(
                  studentBlock,
                  student.getNDManager(),
                  train,
                  objective,
                  new Adam((float) train.learningRate()))
              .run(
                  new Shuffled(train.seed() + 1000L * block.number()),
                  0,
                  p -> {
                    if (p.step() == 1) {
                      afterFirst[0] = System.nanoTime();
                      afterFirst[1] = p.samples();
                      objective.prefixNanos = 0;
                    }
                  });
      boolean profiling = train.maxSteps() != null;
      double seconds = r.seconds();
      long seen = r.samples();
      if (profiling && r.steps() > 1) {
        // the first batch pays for first use (allocations, kernel selection): not timed
        seconds = (System.nanoTime() - afterFirst[0]) / 1e9;
        seen -= afterFirst[1];
      }
      ModelBundle trained = profiling ? null : ModelBundle.ofBlock(meta, student);
      return new Trained(
          block.number(),
          trained,
          seen,
          seconds,
          objective.prefixNanos / 1e9,
          r.firstLoss(),
          r.finalLoss());
    }
  }

  /**
   * The block's objective: its input is the teacher's own input to the block (the teacher's prefix
   * run on the batch, no gradient), its target the teacher block's output; the loss is the mean
   * squared error.
   */
  private final class MimicTeacherBlock implements TrainLoop.Objective<float[]> {
    private final List<Block> children;
    private final int child;
    private long prefixNanos;

    MimicTeacherBlock(List<Block> children, int child) {
      this.children = children;
      this.child = child;
    }

    @Override
    public TrainLoop.Prepared prepare(float[] batch, NDManager manager, ParameterStore store) {
      long t0 = System.nanoTime();
      int n = batch.length / sampleSize();
      NDList h = new NDList(manager.create(batch, ModelBundle.batchShape(sampleShape, n)));
      for (int c = 0; c < child; c++) {
        h = children.get(c).forward(store, h, false);
      }
      NDList target = new NDList(children.get(child).forward(store, h, false).head());
      prefixNanos += System.nanoTime() - t0;
      return new TrainLoop.Prepared(h, target, n);
    }

    @Override
    public NDArray loss(NDList outputs, NDList targets) {
      return outputs.singletonOrThrow().sub(targets.singletonOrThrow()).square().mean();
    }
  }

  /** The broadcast slice in a shuffled order per epoch, from a seed per block and epoch. */
  private final class Shuffled implements TrainLoop.Batches<float[]> {
    private final long seed;

    Shuffled(long seed) {
      this.seed = seed;
    }

    @Override
    public long rows() {
      return samples.value().length / sampleSize();
    }

    @Override
    public Iterator<float[]> epoch(int epoch, int batchSize, long skip) {
      float[] x = samples.value();
      int size = sampleSize();
      int rows = (int) rows();
      int[] order = shuffled(rows, seed + epoch);
      return new Iterator<>() {
        private long from = skip * batchSize;

        @Override
        public boolean hasNext() {
          return from < rows;
        }

        @Override
        public float[] next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          int n = (int) Math.min(batchSize, rows - from);
          float[] batch = new float[n * size];
          for (int i = 0; i < n; i++) {
            System.arraycopy(x, order[(int) from + i] * size, batch, i * size, size);
          }
          from += n;
          return batch;
        }
      };
    }
  }

  private int sampleSize() {
    int size = 1;
    for (int d : sampleShape) {
      size *= d;
    }
    return size;
  }

  private static int[] shuffled(int n, long seed) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Random random = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }
}
