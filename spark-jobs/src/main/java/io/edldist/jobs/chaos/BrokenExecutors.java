package io.edldist.jobs.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.ScenarioResult;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * c. Executors that cannot load the teacher (the job jar without libtorch's native library, an
 * empty DJL cache). The driver (a child JVM running {@code edl-dist infer}) must fail the job at
 * the first such task with exit code 2 and one line naming the teacher's folder, write nothing, and
 * not retry the deterministic failure {@code spark.task.maxFailures} times: the failed task
 * attempts are counted from the driver's Spark event log.
 */
public class BrokenExecutors implements Scenario {
  @Override
  public String name() {
    return "broken-executors";
  }

  @Override
  public String fault() {
    return "executors without libtorch's native library";
  }

  @Override
  public String why() {
    return "an executor that cannot load the teacher fails its task with a user error, which is not "
        + "retried: the job stops with one line (exit 2) before any micro-batch commits, so nothing "
        + "half-written lands";
  }

  @Override
  public ScenarioResult run(ChaosRun run) {
    Lake lake = run.freshLake(name(), false);
    Path work = Path.of(lake.root()).resolveSibling(name() + "-work");
    Path emptyCache = work.resolve("empty-djl-cache");
    Path events = work.resolve("events");
    try {
      Files.createDirectories(emptyCache);
      Files.createDirectories(events);
    } catch (IOException e) {
      throw EdlException.cannot("use the chaos work folder", e, "Check free disk space");
    }
    String classpath =
        Arrays.stream(System.getProperty("java.class.path").split(":"))
            .filter(e -> !e.contains("pytorch-native"))
            .collect(Collectors.joining(":"));
    Map<String, String> broken = new TreeMap<>();
    broken.put("spark.executor.extraClassPath", classpath);
    broken.put("spark.executorEnv.ENGINE_CACHE_DIR", emptyCache.toString());
    broken.put("spark.eventLog.enabled", "true");
    broken.put("spark.eventLog.dir", events.toUri().toString());
    broken.put("spark.eventLog.compress", "false");
    broken.put("spark.eventLog.rolling.enabled", "false");
    long started = System.nanoTime();
    Process driver = run.driver(name(), lake, broken, "infer");
    int exit;
    try {
      exit = driver.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    double seconds = ChaosRun.secondsSince(started);
    String error = errorLine(run.log(name()));
    long attempts = userErrorAttempts(events);
    int maxFailures = Integer.parseInt(run.config().sparkSettings().get("spark.task.maxFailures"));
    long written = lake.hasTable(Lake.SOFT_LABELS) ? lake.read(Lake.SOFT_LABELS).count() : 0;
    boolean oneLine =
        error.startsWith("edl-dist: Cannot load teacher") && error.contains("models/");
    boolean passed =
        exit == 2 && oneLine && written == 0 && attempts >= 1 && attempts < maxFailures;
    return ScenarioResult.withoutTable(
        name(),
        fault(),
        0,
        null,
        seconds,
        seconds,
        passed,
        String.format(
            Locale.ROOT,
            "exit %d, %.0f s after the driver JVM started; %d task attempt(s) failed with the"
                + " user error before the job was cancelled (a retried failure would take %d);"
                + " %d soft-label rows written: %s",
            exit,
            seconds,
            attempts,
            maxFailures,
            written,
            error));
  }

  private static String errorLine(Path log) {
    try {
      return Files.readAllLines(log).stream()
          .filter(l -> l.startsWith("edl-dist: "))
          .findFirst()
          .orElse("(no error line)");
    } catch (IOException e) {
      throw EdlException.cannot("use the chaos work folder", e, "Check free disk space");
    }
  }

  /** Task attempts that ended with an {@link EdlException}, from the driver's event log. */
  private static long userErrorAttempts(Path events) {
    ObjectMapper json = new ObjectMapper();
    long n = 0;
    try (var files = Files.list(events)) {
      for (Path f : files.toList()) {
        for (String line : Files.readAllLines(f)) {
          JsonNode e = json.readTree(line);
          JsonNode reason = e.path("Task End Reason");
          if ("SparkListenerTaskEnd".equals(e.path("Event").asText())
              && "ExceptionFailure".equals(reason.path("Reason").asText())
              && EdlException.class.getName().equals(reason.path("Class Name").asText())) {
            n++;
          }
        }
      }
    } catch (IOException e) {
      throw EdlException.cannot("use the chaos work folder", e, "Check free disk space");
    }
    return n;
  }
}
