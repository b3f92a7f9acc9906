package io.edldist.udfs.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.edldist.udfs.EdlException;
import java.util.Iterator;
import java.util.List;

/**
 * The one training loop of edl-dist: the driver trains teachers, students and the blockwise
 * student's fine-tuning with it, and every blockwise block task on the executors trains its blocks
 * with it.
 *
 * <p>A step: the batch's inputs and targets are prepared with gradients off (for a student, the
 * features, labels and stored teacher logits; for a block, the teacher's prefix forward pass), the
 * model runs forward with gradients on, the objective's loss is back-propagated and Adam updates
 * the weights at the schedule's rate for that step. Every tensor of a step lives in a sub-manager
 * closed after the step, so memory stays flat. Autograd goes through libtorch's thread-local
 * gradient mode rather than DJL's gradient collector, which allows one collector per JVM: two block
 * tasks train side by side in one executor.
 *
 * <p>Steps run epoch after epoch in the order the {@link Batches} give; a run that starts at step s
 * (a resumed one) skips the batches before s and sees exactly the batches an uninterrupted run
 * would have seen. Cost: one forward and backward pass per batch; no other state than the model and
 * the optimizer.
 *
 * @param <B> the batch type
 */
public final class TrainLoop<B> {
  /** The training rows, served as batches of one epoch in a fixed order. */
  public interface Batches<B> {
    long rows();

    /** The batches of one epoch, after skipping the first {@code skip} batches. */
    Iterator<B> epoch(int epoch, int batchSize, long skip);
  }

  /** What a step computes from a batch. */
  public interface Objective<B> {
    /** The model's inputs and the loss's targets, created in {@code manager}, gradients off. */
    Prepared prepare(B batch, NDManager manager, ParameterStore store);

    /** The scalar loss of the model's outputs against the targets. */
    NDArray loss(NDList outputs, NDList targets);
  }

  /** A batch ready for a step: model inputs, loss targets, and its number of samples. */
  public record Prepared(NDList inputs, NDList targets, int size) {}

  /** Called after every step. An exception stops the run and reaches the caller. */
  @FunctionalInterface
  public interface Listener {
    void onStep(Progress progress);
  }

  /** Where a run is: after {@code step} of {@code totalSteps}, in {@code epoch} (0-based). */
  public record Progress(
      int epoch, long step, long totalSteps, double loss, long samples, double seconds) {
    public double samplesPerSecond() {
      return seconds > 0 ? samples / seconds : 0;
    }
  }

  /** What a run did: steps reached, samples and seconds of this run, its first and last loss. */
  public record Result(
      long steps,
      long startStep,
      long samples,
      double firstLoss,
      double finalLoss,
      double seconds,
      boolean finished) {
    public double samplesPerSecond() {
      return seconds > 0 ? samples / seconds : 0;
    }
  }

  private final Block model;
  private final NDManager manager;
  private final TrainSettings settings;
  private final Objective<B> objective;
  private final Adam adam;

  /**
   * @param model an initialised block, trained in place
   * @param manager the manager of the model's parameters; steps work in sub-managers of it
   * @param adam a fresh optimizer, or one restored from a checkpoint
   */
  public TrainLoop(
      Block model, NDManager manager, TrainSettings settings, Objective<B> objective, Adam adam) {
    this.model = model;
    this.manager = manager;
    this.settings = settings;
    this.objective = objective;
    this.adam = adam;
  }

  /** Steps of a whole run over {@code rows} rows. */
  public long totalSteps(long rows) {
    long stepsPerEpoch = (rows + settings.batchSize() - 1) / settings.batchSize();
    long total = stepsPerEpoch * settings.epochs();
    return settings.maxSteps() == null ? total : Math.min(total, settings.maxSteps());
  }

  /** Trains from {@code startStep} (0, or a checkpoint's step) to the end of the run. */
  public Result run(Batches<B> data, long startStep, Listener listener) {
    long rows = data.rows();
    if (rows == 0) {
      throw EdlException.cannot(
          "train " + settings.label(),
          "there are no training rows",
          "Ingest data with a train split");
    }
    List<Pair<String, Parameter>> params = Adam.trainable(model);
    ParameterStore store = new ParameterStore(manager, false);
    long stepsPerEpoch = (rows + settings.batchSize() - 1) / settings.batchSize();
    long totalSteps = totalSteps(rows);
    long step = startStep;
    long samples = 0;
    double first = Double.NaN;
    double last = Double.NaN;
    long start = System.nanoTime();
    while (step < totalSteps) {
      int epoch = (int) (step / stepsPerEpoch);
      Iterator<B> batches = data.epoch(epoch, settings.batchSize(), step % stepsPerEpoch);
      if (!batches.hasNext()) {
        throw new IllegalStateException("epoch " + epoch + " yielded no batches");
      }
      while (batches.hasNext() && step < totalSteps) {
        double rate = settings.schedule().factor(step, totalSteps);
        int size;
        try (NDManager m = manager.newSubManager()) {
          Prepared batch;
          NDArray loss;
          JniUtils.setGradMode(false);
          batch = objective.prepare(batches.next(), m, store);
          JniUtils.setGradMode(true);
          try {
            NDList outputs = model.forward(store, batch.inputs(), true);
            loss = objective.loss(outputs, batch.targets());
            JniUtils.backward(
                (PtNDArray) loss,
                (PtNDArray) m.ones(loss.getShape(), loss.getDataType()),
                false,
                false);
          } finally {
            JniUtils.setGradMode(false);
          }
          adam.step(params, rate);
          last = loss.getFloat();
          size = batch.size();
        }
        step++;
        samples += size;
        if (Double.isNaN(first)) {
          first = last;
        }
        if (!Double.isFinite(last)) {
          throw EdlException.cannot(
              "train " + settings.label(),
              "the loss became " + last + " at step " + step,
              "Lower the learning rate or check the input features");
        }
        listener.onStep(
            new Progress(
                epoch, step, totalSteps, last, samples, (System.nanoTime() - start) / 1e9));
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(step, startStep, samples, first, last, seconds, step == totalSteps);
  }
}
