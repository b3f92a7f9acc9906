package io.edldist.jobs.chaos;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.ScenarioResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * d. The driver (a child JVM running {@code edl-dist infer} with small commits) SIGKILLed after its
 * second commit landed, then {@code infer} again: the re-run must score exactly the samples the
 * killed run had not committed, and the table must end exact.
 */
public class DriverKill extends SoftLabelScenario {
  @Override
  public String name() {
    return "driver-kill";
  }

  @Override
  public String fault() {
    return "SIGKILL the driver mid-infer, run infer again";
  }

  @Override
  public String why() {
    return "`infer` is one streaming pass whose checkpoint (`streams/infer/`) records each micro-"
        + "batch before it is scored, and each batch lands as one Delta commit tagged with the "
        + "query id and batch id: the re-run resumes at the first batch not committed, and Delta "
        + "skips a replayed batch that had landed, so nothing is lost or written twice";
  }

  @Override
  public ScenarioResult run(ChaosRun run) {
    Lake lake = run.freshLake(name(), false);
    Path deltaLog = Path.of(lake.path(Lake.SOFT_LABELS)).resolve("_delta_log");
    long chunkRows = Math.max(1, run.samples() / 6);
    long started = System.nanoTime();
    Process driver =
        run.driver(
            name(), lake, Map.of(EdlConfig.INFER_ROWS_PER_COMMIT.name(), "" + chunkRows), "infer");
    ChaosRun.await(() -> commits(deltaLog) >= 2 || !driver.isAlive(), "two soft_labels commits");
    boolean killed = driver.isAlive();
    driver.toHandle().destroyForcibly();
    driver.onExit().join();
    double killedAfter = ChaosRun.secondsSince(started);
    long landed = commits(deltaLog);
    long committedRows = lake.hasTable(Lake.SOFT_LABELS) ? lake.read(Lake.SOFT_LABELS).count() : 0;
    InferStage.Result rerun = new InferStage(lake, run.config(), ChaosRun.RUN_ID).execute();
    SoftLabelDiff.Counts c = check(run, lake);
    boolean onlyMissing = rerun.scored() == run.samples() - committedRows;
    return result(
        killed ? 1 : 0,
        c,
        run.cleanInferSeconds(),
        killedAfter + rerun.seconds(),
        rerun.seconds(),
        killed && committedRows > 0 && onlyMissing,
        killed
            ? String.format(
                Locale.ROOT,
                "%d commit(s) holding %,d rows had landed when the driver died; the re-run scored"
                    + " %,d of %,d samples (%.0f%%), %s",
                landed,
                committedRows,
                rerun.scored(),
                rerun.total(),
                100.0 * rerun.scored() / rerun.total(),
                onlyMissing ? "exactly the ones missing" : "NOT just the ones missing")
            : "the driver finished before it could be killed");
  }

  private static long commits(Path deltaLog) {
    try (var files = Files.list(deltaLog)) {
      return files.filter(f -> f.getFileName().toString().matches("\\d{20}\\.json")).count();
    } catch (IOException e) {
      return 0;
    }
  }
}
