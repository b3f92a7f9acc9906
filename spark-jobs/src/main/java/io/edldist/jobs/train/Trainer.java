package io.edldist.jobs.train;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.edldist.jobs.lake.Metrics;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.kd.DistillationLoss;
import io.edldist.udfs.model.TorchThreads;
import io.edldist.udfs.train.Adam;
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
 * sees the same batches as an uninterrupted one. The learning rate follows a cosine decay from its
 * base value to zero over the run (or stays constant): a function of the step alone, so it resumes
 * exactly too.
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
      long steps,
      long samples,
      double finalLoss,
      double seconds,
      long resumedFromStep,
      boolean finished) {
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
  private long stopAfter = Long.MAX_VALUE;

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

  /** Stops after this many steps, as a crash would, without finishing the run (for tests). */
  Trainer stopAfter(long steps) {
    this.stopAfter = steps;
    return this;
  }

  /**
   * Everything that decides which batches a step sees and how it updates the weights: a checkpoint
   * is only resumed by a run that agrees on all of it.
   */
  String fingerprint(TrainingData data) {
    return String.join(
        "\n",
        "seed=" + settings.seed(),
        "epochs=" + settings.epochs(),
        "batch-size=" + settings.batchSize(),
        "learning-rate=" + settings.learningRate(),
        "lr-schedule=" + (settings.cosineSchedule() ? "cosine" : "constant"),
        "loss=" + settings.loss(),
        "rows=" + data.size());
  }

  public Result fit(TrainingData data, boolean resume) {
    TorchThreads.set(Runtime.getRuntime().availableProcessors());
    Block block = model.getBlock();
    List<Pair<String, Parameter>> params = Adam.trainable(block);
    Adam adam = new Adam((float) settings.learningRate());
    long stepsPerEpoch = (data.size() + settings.batchSize() - 1) / settings.batchSize();
    long totalSteps = stepsPerEpoch * settings.epochs();
    long step = 0;
    String fingerprint = fingerprint(data);
    if (resume && checkpoints != null) {
      var saved = checkpoints.latest();
      if (saved.isPresent()) {
        checkSameSettings(saved.get().settings(), fingerprint);
        step = restore(saved.get(), block, adam);
      } else {
        System.err.println(
            settings.label()
                + ": no checkpoint in "
                + checkpoints.folder()
                + "; starting at step 0");
      }
    }
    long resumedFrom = step;
    ParameterStore store = new ParameterStore(model.getNDManager(), false);
    long[] sampleShape = data.features().longShape();
    ProgressBar bar =
        quiet ? null : new ProgressBar(settings.label(), totalSteps, settings.epochs(), System.err);
    long samples = 0;
    double lastLoss = Double.NaN;
    long start = System.nanoTime();
    if (totalSteps == 0) {
      throw EdlException.cannot(
          "train " + settings.label(),
          "there are no training rows",
          "Ingest data with a train split");
    }
    while (step < totalSteps && step < stopAfter) {
      int epoch = (int) (step / stepsPerEpoch);
      Iterator<TrainingData.Batch> batches =
          data.epoch(epoch, settings.batchSize(), step % stepsPerEpoch);
      if (!batches.hasNext()) {
        throw new IllegalStateException("epoch " + epoch + " yielded no batches");
      }
      while (batches.hasNext() && step < totalSteps && step < stopAfter) {
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
          save(step, fingerprint, block, adam);
        }
        if (bar != null) {
          double secs = (System.nanoTime() - start) / 1e9;
          bar.update(epoch, step, lastLoss, samples / Math.max(secs, 1e-9));
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    boolean finished = step == totalSteps;
    if (finished && checkpoints != null) {
      checkpoints.clear();
    }
    return new Result(step, samples, lastLoss, seconds, resumedFrom, finished);
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

  private void checkSameSettings(String saved, String current) {
    if (!saved.equals(current)) {
      throw EdlException.cannot(
          "resume from " + checkpoints.folder(),
          "it was written with "
              + onlyIn(saved, current)
              + " but this run has "
              + onlyIn(current, saved),
          "Resume with the same settings, or start a new run with another run.id");
    }
  }

  /** The lines of {@code a} that {@code b} lacks, comma-separated. */
  private static String onlyIn(String a, String b) {
    java.util.Set<String> other = new java.util.HashSet<>(b.lines().toList());
    return String.join(", ", a.lines().filter(l -> !other.contains(l)).toList());
  }

  private void save(long step, String fingerprint, Block block, Adam adam) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        block.saveParameters(out);
      }
      checkpoints.save(step, fingerprint, bytes.toByteArray(), adam.save());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private long restore(Checkpoints.Saved saved, Block block, Adam adam) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(saved.params()))) {
      block.loadParameters(model.getNDManager(), in);
      adam.load(saved.optimizer(), model.getNDManager());
      Adam.trainable(block);
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
