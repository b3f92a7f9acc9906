package io.edldist.jobs.train;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.edldist.jobs.lake.Metrics;
import io.edldist.jobs.runtime.Sessions;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.kd.DistillationLoss;
import io.edldist.udfs.model.TorchThreads;
import io.edldist.udfs.train.Adam;
import io.edldist.udfs.train.TrainLoop;
import io.edldist.udfs.train.TrainSettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * Trains a teacher or a student on the driver with the distillation loss: {@link TrainLoop}'s steps
 * over {@link TrainingData}, with what a driver run adds around them: a progress bar, the loss
 * recorded in {@code metrics} every N steps, a checkpoint every N steps and resuming from the
 * latest one. Teacher logits come from the batches ({@code soft_labels}); the loss ignores them
 * when alpha is 1 (hard labels only). A resumed run ends with the same weights as an uninterrupted
 * one: the batch order and the learning rate are functions of the step.
 *
 * <pre>{@code
 * new Trainer(model, settings, loss).metrics(metrics, 50).checkpoints(checkpoints, 500)
 *     .fit(data, resume);
 * }</pre>
 */
public final class Trainer {
  private final Model model;
  private final TrainSettings settings;
  private final DistillationLoss loss;
  private Metrics metrics;
  private int logEvery;
  private Checkpoints checkpoints;
  private int checkpointEvery;
  private final List<TrainLoop.Listener> listeners = new ArrayList<>();
  private boolean quiet;
  private int progressEvery;

  public Trainer(Model model, TrainSettings settings, DistillationLoss loss) {
    this.model = model;
    this.settings = settings;
    this.loss = loss;
  }

  /** Records the loss in {@code metrics} every {@code every} steps and at the last step. */
  public Trainer metrics(Metrics value, int every) {
    this.metrics = value;
    this.logEvery = every;
    return this;
  }

  /** Writes a checkpoint every {@code every} steps; {@code fit(data, true)} resumes from one. */
  Trainer checkpoints(Checkpoints value, int every) {
    this.checkpoints = value;
    this.checkpointEvery = every;
    return this;
  }

  /** Observes every step (after the trainer's own metrics and checkpoint). */
  public Trainer listener(TrainLoop.Listener value) {
    listeners.add(value);
    return this;
  }

  /** No progress bar. */
  public Trainer quiet() {
    this.quiet = true;
    return this;
  }

  /** In a log, a progress line every {@code every} steps (default 0: at every tenth of the run). */
  public Trainer progressEvery(int every) {
    this.progressEvery = every;
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
        "lr-schedule=" + settings.schedule(),
        "loss=" + loss,
        "rows=" + data.rows());
  }

  public TrainLoop.Result fit(TrainingData data, boolean resume) {
    TorchThreads.set(Sessions.driverThreads(SparkSession.active()));
    Block block = model.getBlock();
    Adam adam = new Adam((float) settings.learningRate());
    String fingerprint = fingerprint(data);
    long start = 0;
    if (resume && checkpoints != null) {
      var saved = checkpoints.latest();
      if (saved.isPresent()) {
        checkSameSettings(saved.get().settings(), fingerprint);
        start = restore(saved.get(), block, adam);
      } else {
        System.err.println(
            settings.label()
                + ": no checkpoint in "
                + checkpoints.folder()
                + "; starting at step 0");
      }
    }
    TrainLoop<TrainingData.Batch> loop =
        new TrainLoop<>(
            block,
            model.getNDManager(),
            settings,
            new Distillation(loss, data.features().longShape(), data.classes()),
            adam);
    ProgressBar bar =
        quiet
            ? null
            : new ProgressBar(
                settings.label(),
                loop.totalSteps(data.rows()),
                settings.epochs(),
                progressEvery,
                System.err);
    TrainLoop.Result result =
        loop.run(
            data,
            start,
            p -> {
              if (bar != null) {
                bar.update(p.epoch(), p.step(), p.loss(), p.samplesPerSecond());
              }
              if (metrics != null && (p.step() % logEvery == 0 || p.step() == p.totalSteps())) {
                metrics.add("loss", p.loss(), p.step());
              }
              if (checkpoints != null
                  && p.step() % checkpointEvery == 0
                  && p.step() < p.totalSteps()) {
                save(p.step(), fingerprint, block, adam);
              }
              listeners.forEach(l -> l.onStep(p));
            });
    if (checkpoints != null) {
      checkpoints.clear();
    }
    return result;
  }

  /** The distillation loss on a batch of features, labels and (when it needs them) logits. */
  private record Distillation(DistillationLoss loss, long[] sampleShape, int classes)
      implements TrainLoop.Objective<TrainingData.Batch> {
    @Override
    public TrainLoop.Prepared prepare(
        TrainingData.Batch batch, NDManager manager, ParameterStore store) {
      long[] dims = new long[sampleShape.length + 1];
      dims[0] = batch.n();
      System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
      NDList targets = new NDList(manager.create(batch.labels()));
      if (loss.needsTeacher()) {
        if (batch.logits() == null) {
          throw new IllegalStateException("the distillation loss needs batches with logits");
        }
        targets.add(manager.create(batch.logits(), new Shape(batch.n(), classes)));
      }
      return new TrainLoop.Prepared(
          new NDList(manager.create(batch.x(), new Shape(dims))), targets, batch.n());
    }

    @Override
    public NDArray loss(NDList outputs, NDList targets) {
      return loss.evaluate(
          outputs.singletonOrThrow(), targets.get(0), targets.size() > 1 ? targets.get(1) : null);
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
      throw EdlException.cannot(
          "write a checkpoint of " + settings.label() + " at step " + step,
          e,
          "Check the lake's storage");
    }
  }

  private long restore(Checkpoints.Saved saved, Block block, Adam adam) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(saved.params()))) {
      block.loadParameters(model.getNDManager(), in);
      adam.load(saved.optimizer(), model.getNDManager());
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
