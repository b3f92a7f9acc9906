package io.edldist.jobs.train;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.edldist.jobs.lake.Metrics;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.kd.DistillationLoss;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;

/**
 * The training loop for teachers and students, on the driver: forward, the distillation loss,
 * backward, Adam, on one batch at a time; every batch's tensors live in a sub-manager closed after
 * the step, so memory stays flat. Teacher logits come from the batch (offline distillation, read
 * from {@code soft_labels}) or, for the online baseline of the benchmark, from a teacher called
 * inside the loop. Checkpoints every N steps; a resumed run restarts at the checkpoint's step and
 * sees the same batches as an uninterrupted one. The learning rate follows a cosine decay from
 * its base value to zero over the run (or stays constant): a function of the step alone, so it
 * resumes exactly too.
 */
public final class Trainer {
  /** How to train. */
  public record Settings(
      String label,
      int epochs,
      int batchSize,
      double learningRate,
      boolean cosineSchedule,
      long seed,
      DistillationLoss loss,
      int checkpointEvery,
      int logEvery) {}

  /** What training did. */
  public record Result(
      long steps, long samples, double finalLoss, double seconds, long resumedFromStep) {
    public double samplesPerSecond() {
      return seconds > 0 ? samples / seconds : 0;
    }
  }

  private final Model model;
  private final Settings settings;
  private Checkpoints checkpoints;
  private Metrics metrics;
  private Function<TrainingData.Batch, float[]> onlineTeacher;
  private boolean quiet;

  public Trainer(Model model, Settings settings) {
    this.model = model;
    this.settings = settings;
  }

  Trainer checkpoints(Checkpoints value) {
    this.checkpoints = value;
    return this;
  }

  public Trainer metrics(Metrics value) {
    this.metrics = value;
    return this;
  }

  /** Computes teacher logits inside the loop instead of reading them: online distillation. */
  public Trainer onlineTeacher(Function<TrainingData.Batch, float[]> teacher) {
    this.onlineTeacher = teacher;
    return this;
  }

  public Trainer quiet(boolean value) {
    this.quiet = value;
    return this;
  }

  public Result fit(TrainingData data, boolean resume) {
    JniUtils.setNumThreads(Runtime.getRuntime().availableProcessors());
    Block block = model.getBlock();
    List<Pair<String, Parameter>> params = block.getParameters().stream().toList();
    params.forEach(p -> p.getValue().getArray().setRequiresGradient(true));
    Adam adam = new Adam((float) settings.learningRate());
    long stepsPerEpoch = (data.size() + settings.batchSize() - 1) / settings.batchSize();
    long totalSteps = stepsPerEpoch * settings.epochs();
    long step = 0;
    if (resume && checkpoints != null) {
      var saved = checkpoints.latest();
      if (saved.isPresent()) {
        step = restore(saved.get(), block, adam);
      }
    }
    long resumedFrom = step;
    ParameterStore store = new ParameterStore(model.getNDManager(), false);
    long[] sampleShape = java.util.Arrays.stream(data.features().shape()).asLongStream().toArray();
    ProgressBar bar =
        quiet ? null : new ProgressBar(settings.label(), totalSteps, settings.epochs(), System.err);
    long samples = 0;
    double lastLoss = Double.NaN;
    long start = System.nanoTime();
    while (step < totalSteps) {
      int epoch = (int) (step / stepsPerEpoch);
      Iterator<TrainingData.Batch> batches =
          data.epoch(epoch, settings.batchSize(), step % stepsPerEpoch);
      while (batches.hasNext() && step < totalSteps) {
        TrainingData.Batch batch = batches.next();
        double scale =
            settings.cosineSchedule() ? 0.5 * (1 + Math.cos(Math.PI * step / totalSteps)) : 1.0;
        lastLoss = step(block, store, batch, sampleShape, data.classes(), params, adam, scale);
        step++;
        samples += batch.n();
        if (!Double.isFinite(lastLoss)) {
          throw EdlException.cannot(
              "train " + settings.label(),
              "the loss became " + lastLoss + " at step " + step,
              "Lower the learning rate (train.learning-rate) or check the input features");
        }
        if (metrics != null && (step % settings.logEvery() == 0 || step == totalSteps)) {
          metrics.add("loss", lastLoss, step);
        }
        if (checkpoints != null && step % settings.checkpointEvery() == 0 && step < totalSteps) {
          save(step, epoch, block, adam);
        }
        if (bar != null) {
          double secs = (System.nanoTime() - start) / 1e9;
          bar.update(epoch, step, lastLoss, samples / Math.max(secs, 1e-9));
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(step, samples, lastLoss, seconds, resumedFrom);
  }

  private double step(
      Block block,
      ParameterStore store,
      TrainingData.Batch batch,
      long[] sampleShape,
      int classes,
      List<Pair<String, Parameter>> params,
      Adam adam,
      double learningRateScale) {
    try (NDManager manager = model.getNDManager().newSubManager()) {
      long[] dims = new long[sampleShape.length + 1];
      dims[0] = batch.n();
      System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
      NDArray x = manager.create(batch.x(), new Shape(dims));
      NDArray labels = manager.create(batch.labels());
      NDArray teacher = null;
      if (settings.loss().needsTeacher()) {
        float[] logits = onlineTeacher != null ? onlineTeacher.apply(batch) : batch.logits();
        teacher = manager.create(logits, new Shape(batch.n(), classes));
      }
      float loss;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray out = block.forward(store, new NDList(x), true).singletonOrThrow();
        NDArray value = settings.loss().evaluate(out, labels, teacher);
        collector.backward(value);
        loss = value.getFloat();
      }
      adam.step(params, learningRateScale);
      return loss;
    }
  }

  private void save(long step, int epoch, Block block, Adam adam) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        block.saveParameters(out);
      }
      checkpoints.save(step, epoch, settings.seed(), bytes.toByteArray(), adam.save());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private long restore(Checkpoints.Saved saved, Block block, Adam adam) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(saved.params()))) {
      block.loadParameters(model.getNDManager(), in);
      adam.load(saved.optimizer(), model.getNDManager());
      block.getParameters().forEach(p -> p.getValue().getArray().setRequiresGradient(true));
      System.err.println(
          settings.label()
              + ": resumed from checkpoint at step "
              + saved.step()
              + " in "
              + checkpoints.folder());
      return saved.step();
    } catch (IOException | ai.djl.MalformedModelException e) {
      throw EdlException.cannot(
          "resume from " + checkpoints.folder(), e, "Delete the checkpoint folder to start over");
    }
  }
}
