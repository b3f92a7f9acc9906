package io.edldist.jobs.chaos;

import static org.apache.spark.sql.functions.col;

import ai.djl.Model;
import ai.djl.nn.ParameterList;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.evaluate.TestSet;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.results.ScenarioResult;
import io.edldist.jobs.train.TrainStage;
import io.edldist.udfs.model.ModelBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * e. {@code train} (a child JVM) killed after a checkpoint, then {@code train --resume}, compared
 * with an uninterrupted run of the same settings.
 *
 * <p>The driver is frozen first (SIGSTOP), so that what it had done can be read before it dies: the
 * newest committed checkpoint in the lake and the last step its progress log shows (one line per
 * step). Then SIGKILL. The resumed run must start from exactly that checkpoint, and end with the
 * same weights as the uninterrupted run, parameter for parameter.
 */
public class TrainKill implements Scenario {
  static final int CHECKPOINT_EVERY = 20;
  private static final String KILLED = "chaos-train-killed";
  private static final String CLEAN = "chaos-train-clean";
  private static final Pattern STEP = Pattern.compile("step (\\d+)/(\\d+)");

  @Override
  public String name() {
    return "train-kill";
  }

  @Override
  public String fault() {
    return "SIGKILL the driver mid-train, then train --resume";
  }

  @Override
  public String why() {
    return "`train` checkpoints every `train.checkpoint-every` steps (model, optimizer state, step, "
        + "settings fingerprint, then a `_COMMITTED` marker); `--resume` restarts at the newest "
        + "committed checkpoint with the same batch order, so it loses at most one interval and "
        + "ends with the weights an uninterrupted run ends with";
  }

  /**
   * Called between the kill and the resumed run. Does nothing; tests override it to tamper with the
   * killed run's checkpoints and show that the check catches it.
   */
  protected void beforeResume(Lake lake, Path checkpoints) {}

  @Override
  public ScenarioResult run(ChaosRun run) {
    Lake lake = run.freshLake(name(), true);
    Map<String, String> killedRun = settings(KILLED);
    Path checkpoints =
        Path.of(lake.path("checkpoints/" + KILLED + "/" + TrainStage.studentName("kd")));
    long started = System.nanoTime();
    Process driver = run.driver(name(), lake, killedRun, "train");
    Path log = run.log(name());
    ChaosRun.await(
        () -> {
          long[] logged = lastStep(log);
          return (logged[0] >= logged[1] / 2 && newestCheckpoint(checkpoints) > 0)
              || !driver.isAlive();
        },
        "half of the training steps and a checkpoint");
    boolean killed = driver.isAlive() && signal("STOP", driver.pid());
    long frozenCheckpoint = newestCheckpoint(checkpoints);
    long loggedStep = lastStep(log)[0];
    driver.toHandle().destroyForcibly();
    driver.onExit().join();
    double killedAfter = ChaosRun.secondsSince(started);
    if (!killed) {
      return failed("train finished before it could be killed; see " + log, killedAfter);
    }

    beforeResume(lake, checkpoints);
    EdlConfig config = run.config();
    TrainStage.Result resumed =
        new TrainStage(lake, config.with(killedRun), KILLED).resume(true).execute();
    TrainStage.Result clean = new TrainStage(lake, config.with(settings(CLEAN)), CLEAN).execute();
    long from = resumed.training().startStep();
    long lost = loggedStep - from;
    double paramDiff = maxParameterDifference(resumed.student(), clean.student());
    double resumedAccuracy = accuracy(lake, resumed.student());
    double cleanAccuracy = accuracy(lake, clean.student());
    boolean passed =
        from > 0
            && from == frozenCheckpoint
            && lost >= 0
            && lost <= CHECKPOINT_EVERY
            && paramDiff == 0;
    return ScenarioResult.withoutTable(
        name(),
        fault(),
        1,
        clean.training().seconds(),
        killedAfter + resumed.training().seconds(),
        resumed.training().seconds(),
        passed,
        String.format(
            Locale.ROOT,
            "frozen and killed after step %d (its last progress line); newest committed checkpoint"
                + " then: step %d; resumed from step %d, %d step(s) lost (checkpoint interval %d);"
                + " largest weight difference to the uninterrupted run %.1e; test accuracy %.4f"
                + " resumed vs %.4f uninterrupted",
            loggedStep,
            frozenCheckpoint,
            from,
            lost,
            CHECKPOINT_EVERY,
            paramDiff,
            resumedAccuracy,
            cleanAccuracy));
  }

  private ScenarioResult failed(String finding, double seconds) {
    return ScenarioResult.withoutTable(name(), fault(), 0, null, seconds, seconds, false, finding);
  }

  private static Map<String, String> settings(String runId) {
    Map<String, String> s = new TreeMap<>();
    s.put(EdlConfig.RUN_ID.name(), runId);
    s.put(EdlConfig.TRAIN_MODE.name(), "kd");
    s.put(EdlConfig.TRAIN_EPOCHS.name(), "5");
    s.put(EdlConfig.TRAIN_CHECKPOINT_EVERY.name(), Integer.toString(CHECKPOINT_EVERY));
    s.put(EdlConfig.TRAIN_PROGRESS_EVERY.name(), "1");
    return s;
  }

  /** The step of the newest checkpoint with its commit marker; 0 when there is none. */
  static long newestCheckpoint(Path folder) {
    try (var dirs = Files.list(folder)) {
      return dirs.filter(d -> d.getFileName().toString().matches("step-\\d+"))
          .filter(d -> Files.exists(d.resolve("_COMMITTED")))
          .mapToLong(d -> Long.parseLong(d.getFileName().toString().substring(5)))
          .max()
          .orElse(0);
    } catch (IOException e) {
      return 0;
    }
  }

  /** The last "step N/T" of a progress log: {N, T}, or {0, 1} before the first. */
  private static long[] lastStep(Path log) {
    long[] last = {0, 1};
    try {
      Matcher m = STEP.matcher(Files.readString(log));
      while (m.find()) {
        last[0] = Long.parseLong(m.group(1));
        last[1] = Long.parseLong(m.group(2));
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      return last;
    }
    return last;
  }

  private static boolean signal(String name, long pid) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start();
      return kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static double maxParameterDifference(ModelBundle a, ModelBundle b) {
    try (Model ma = a.load();
        Model mb = b.load()) {
      ParameterList pa = ma.getBlock().getParameters();
      ParameterList pb = mb.getBlock().getParameters();
      double max = 0;
      for (int i = 0; i < pa.size(); i++) {
        float d =
            pa.get(i)
                .getValue()
                .getArray()
                .sub(pb.get(i).getValue().getArray())
                .abs()
                .max()
                .getFloat();
        max = Math.max(max, d);
      }
      return max;
    }
  }

  private static double accuracy(Lake lake, ModelBundle student) {
    SamplesMeta meta = SamplesMeta.of(lake);
    TestSet test =
        TestSet.of(
            lake.read(Lake.SAMPLES).where(col("split").equalTo("test")), meta.features(), false);
    try (Model model = student.load()) {
      return test.accuracy(test.predictions(model, 256));
    }
  }
}
