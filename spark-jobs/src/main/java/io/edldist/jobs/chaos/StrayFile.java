package io.edldist.jobs.chaos;

import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.ScenarioResult;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

/**
 * g. A Parquet file in the table folder outside the Delta log, as a dead task leaves behind:
 * readers must ignore it, and VACUUM must remove it once older than the retention (7 days).
 */
public class StrayFile extends SoftLabelScenario {
  @Override
  public String name() {
    return "stray-file";
  }

  @Override
  public String fault() {
    return "a Parquet file in the table folder outside the Delta log";
  }

  @Override
  public String why() {
    return "a file in the table folder that the Delta log does not name is never read, and `VACUUM` "
        + "deletes it once older than the retention period (7 days by default)";
  }

  @Override
  public ScenarioResult run(ChaosRun run) {
    Lake lake = run.freshLake(name(), true);
    Path table = Path.of(lake.path(Lake.SOFT_LABELS));
    Path stray;
    try (var files = Files.walk(table)) {
      Path data =
          files
              .filter(
                  f -> f.toString().endsWith(".parquet") && !f.toString().contains("_delta_log"))
              .findFirst()
              .orElseThrow();
      stray = data.resolveSibling("part-00000-stray-" + System.nanoTime() + ".snappy.parquet");
      Files.copy(data, stray);
      Files.setLastModifiedTime(stray, FileTime.from(Instant.now().minus(Duration.ofDays(8))));
    } catch (IOException e) {
      throw EdlException.cannot("use the chaos work folder", e, "Check free disk space");
    }
    SoftLabelDiff.Counts withStray = check(run, lake);
    long started = System.nanoTime();
    lake.spark().sql("VACUUM delta.`" + table + "`").collect();
    double vacuumSeconds = ChaosRun.secondsSince(started);
    boolean removed = !Files.exists(stray);
    SoftLabelDiff.Counts after = SoftLabelDiff.compare(lake, run.reference(), run.teacherId());
    return result(
        0,
        withStray,
        null,
        vacuumSeconds,
        vacuumSeconds,
        after.exact() && removed,
        "readers ignored the stray file; VACUUM "
            + (removed ? "removed" : "did NOT remove")
            + " it"
            + (after.exact() ? "" : " and the table no longer matches the reference: " + after));
  }
}
