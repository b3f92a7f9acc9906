package io.edldist.udfs.blockwise;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.model.BlockwiseModels;
import io.edldist.udfs.model.BlockwiseModels.ConvBlock;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.ModelMeta;
import io.edldist.udfs.model.TorchThreads;
import io.edldist.udfs.train.Adam;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
 * shared read-only by concurrent tasks. Each task sets libtorch to {@code threads} threads and
 * drives autograd through libtorch's thread-local gradient mode, since DJL's gradient collector
 * allows one collector per JVM and two tasks train side by side in one executor.
 */
public final class BlockTask implements FlatMapFunction<List<Integer>, BlockTask.Trained> {
  private static final long serialVersionUID = 1L;

  /**
   * How each block is trained. {@code maxBatches} below {@code Integer.MAX_VALUE} makes it a
   * profiling run: that many batches, the first one untimed, and no bundle.
   */
  public record Settings(
      int epochs,
      int batchSize,
      double learningRate,
      long seed,
      int threads,
      int maxBatches,
      String modelPrefix)
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
    float[] x = samples.value();
    int size = 1;
    for (int d : sampleShape) {
      size *= d;
    }
    int rows = x.length / size;
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
        Engine.getInstance().setRandomSeed((int) (settings.seed() + block.number()));
        studentBlock.initialize(
            student.getNDManager(),
            DataType.FLOAT32,
            ModelBundle.batchShape(block.inputShape(), 1));
      }
      student.setBlock(studentBlock);
      List<Pair<String, Parameter>> params = Adam.trainable(studentBlock);
      Adam adam = new Adam((float) settings.learningRate());
      ParameterStore store = new ParameterStore(student.getNDManager(), false);
      long stepsPerEpoch = (rows + settings.batchSize() - 1) / settings.batchSize();
      long totalSteps = Math.min(stepsPerEpoch * settings.epochs(), settings.maxBatches());
      long step = 0;
      long seen = 0;
      long prefixNanos = 0;
      double first = Double.NaN;
      double last = Double.NaN;
      boolean profiling = settings.maxBatches() != Integer.MAX_VALUE;
      long start = System.nanoTime();
      for (int epoch = 0; step < totalSteps; epoch++) {
        int[] order = shuffled(rows, settings.seed() + 1000L * block.number() + epoch);
        for (int from = 0; from < rows && step < totalSteps; from += settings.batchSize()) {
          int n = Math.min(settings.batchSize(), rows - from);
          float[] batch = new float[n * size];
          for (int i = 0; i < n; i++) {
            System.arraycopy(x, order[from + i] * size, batch, i * size, size);
          }
          try (NDManager m = student.getNDManager().newSubManager()) {
            long t0 = System.nanoTime();
            JniUtils.setGradMode(false);
            NDList h = new NDList(m.create(batch, ModelBundle.batchShape(sampleShape, n)));
            for (int c = 0; c < block.child(); c++) {
              h = children.get(c).forward(store, h, false);
            }
            NDArray input = h.singletonOrThrow();
            NDArray target = children.get(block.child()).forward(store, h, false).head();
            prefixNanos += System.nanoTime() - t0;
            JniUtils.setGradMode(true);
            NDArray output =
                studentBlock.forward(store, new NDList(input), true).singletonOrThrow();
            NDArray loss = output.sub(target).square().mean();
            JniUtils.backward((PtNDArray) loss, (PtNDArray) m.ones(new Shape()), false, false);
            JniUtils.setGradMode(false);
            adam.step(params, 0.5 * (1 + Math.cos(Math.PI * step / totalSteps)));
            last = loss.getFloat();
          }
          if (step == 0) {
            first = last;
            if (profiling) {
              start = System.nanoTime();
              prefixNanos = 0;
              seen = -n;
            }
          }
          if (!Double.isFinite(last)) {
            throw EdlException.cannot(
                "train " + block.name() + " of teacher " + teacherMeta.id(),
                "the loss became " + last + " at step " + (step + 1),
                "Lower blockwise.learning-rate");
          }
          step++;
          seen += n;
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      ModelBundle trained = profiling ? null : ModelBundle.ofBlock(meta, student);
      return new Trained(block.number(), trained, seen, seconds, prefixNanos / 1e9, first, last);
    }
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
