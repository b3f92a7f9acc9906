package io.edldist.jobs.chaos;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.max;

import io.edldist.jobs.cluster.LocalCluster;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.evaluate.TestSet;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.Sessions;
import io.edldist.jobs.teacher.TrainTeacherStage;
import io.edldist.jobs.train.TrainStage;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.model.ModelBundle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The reliability check: the pipeline on a real standalone cluster ({@link LocalCluster}: Master,
 * two Workers and their executors as separate JVMs) with processes killed in the middle of work.
 *
 * <p>{@link #start} starts the cluster, a driver session on it with dynamic allocation, ingests a
 * slice of the data, trains a teacher and scores every sample once without faults into a reference
 * table. Each scenario then runs a stage with one fault and compares the result with the reference
 * by id: rows per id (duplicates), ids missing (lost), ids that should not be there, and the
 * largest logit difference. Infer scenarios write to their own table; the driver-kill scenario
 * fills {@code soft_labels}, which the train scenario and the stray-file scenario then use. A
 * driver is killed by running it as a child JVM ({@code edl-dist infer} / {@code train}) and
 * SIGKILLing it.
 *
 * <p>Cost: about ten infer runs over the slice (7,000 rows by default), two short student trainings
 * and a few JVM starts; 3 to 6 minutes on two cores.
 */
public final class ChaosStage implements AutoCloseable {
  /** The run id of the in-process stages. */
  public static final String RUN_ID = "chaos";

  private static final String REFERENCE = "chaos_reference";
  private static final double LOGIT_TOLERANCE = 1e-6;
  private static final double ACCURACY_TOLERANCE = 0.005;
  private static final int CHECKPOINT_EVERY = 20;
  private static final Duration WAIT = Duration.ofMinutes(4);
  private static final Pattern STEP = Pattern.compile("step (\\d+)/(\\d+)");

  /** What one scenario did and found. */
  public record Scenario(
      String name,
      String fault,
      int kills,
      long rowsChecked,
      long duplicates,
      long lost,
      double maxLogitDiff,
      double cleanSeconds,
      double seconds,
      double recoverySeconds,
      boolean passed,
      String finding) {}

  /** All scenarios run so far. */
  public record Result(List<Scenario> scenarios) {
    public String line() {
      return String.format(
          "chaos: scenarios=%d kills=%d rows_checked=%d duplicates=%d lost=%d",
          scenarios.size(),
          scenarios.stream().mapToInt(Scenario::kills).sum(),
          scenarios.stream().mapToLong(Scenario::rowsChecked).sum(),
          scenarios.stream().mapToLong(Scenario::duplicates).sum(),
          scenarios.stream().mapToLong(Scenario::lost).sum());
    }

    public boolean passed() {
      return scenarios.stream().allMatch(Scenario::passed);
    }
  }

  private final Path work;
  private final EdlConfig userConfig;
  private final List<Scenario> scenarios = new ArrayList<>();
  private LocalCluster cluster;
  private EdlConfig config;
  private Lake lake;
  private String teacherId;
  private long samples;
  private double cleanInferSeconds;

  /**
   * @param work an empty folder for the cluster, the lake and driver logs
   */
  public ChaosStage(Path work, EdlConfig config) {
    this.work = work;
    this.userConfig = config;
  }

  /** Starts the cluster and the driver session, prepares the data and the reference table. */
  public ChaosStage start() {
    // the chaos driver needs its own session on the cluster, not one a caller left running
    for (var session : List.of(SparkSession.getActiveSession(), SparkSession.getDefaultSession())) {
      if (session.isDefined()) {
        session.get().stop();
      }
    }
    cluster = LocalCluster.start(LocalCluster.Options.onFreePorts(work.resolve("cluster"), 2, 1));
    config = userConfig.with(settings());
    lake = new Lake(Sessions.create(config, "edl-dist chaos"), config.get(EdlConfig.LAKE));
    new IngestStage(lake, config).execute();
    new TrainTeacherStage(lake, config, RUN_ID).reuse(true).execute();
    InferStage.Result reference = new InferStage(lake, config, RUN_ID).table(REFERENCE).execute();
    teacherId = reference.teacherId();
    samples = reference.total();
    cleanInferSeconds = reference.seconds();
    Check check = check(REFERENCE);
    if (check.rows != samples || check.duplicates != 0) {
      throw new IllegalStateException("the clean reference run is not exact: " + check);
    }
    return this;
  }

  /** Every scenario in order; the result's {@link Result#line} is the summary. */
  public Result execute() {
    start();
    executorKill();
    workerKill();
    brokenExecutors();
    driverKill();
    trainKill();
    transientFailures();
    strayFile();
    return result();
  }

  public Result result() {
    return new Result(List.copyOf(scenarios));
  }

  public Lake lake() {
    return lake;
  }

  /** The settings the chaos driver runs with: the cluster, dynamic allocation, the slice. */
  public EdlConfig config() {
    return config;
  }

  /** a. One executor JVM SIGKILLed while infer runs; the job must complete exactly. */
  public Scenario executorKill() {
    return inferWithKill(
        "executor-kill",
        "SIGKILL one executor JVM mid-infer",
        () -> {
          ProcessHandle victim = cluster.executors().get(0);
          victim.destroyForcibly();
          victim.onExit().join();
          return 1;
        });
  }

  /** b. A Worker and its executors SIGKILLed while infer runs; then the Worker is restarted. */
  public Scenario workerKill() {
    Scenario s =
        inferWithKill(
            "worker-kill",
            "SIGKILL a Worker and its executors mid-infer",
            () -> cluster.killWorker(1));
    cluster.startWorker(1);
    cluster.awaitWorkers(2);
    return s;
  }

  /**
   * c. Executors that cannot load the teacher (the job jar without libtorch's native library, an
   * empty DJL cache): the job must fail at the first task with one error naming the teacher's
   * folder, not after {@code spark.task.maxFailures} attempts, and write nothing.
   */
  public Scenario brokenExecutors() {
    if (lake.hasTable(Lake.SOFT_LABELS)) {
      throw new IllegalStateException("run brokenExecutors before soft_labels is written");
    }
    Path emptyCache = work.resolve("empty-djl-cache");
    String classpath =
        java.util.Arrays.stream(System.getProperty("java.class.path").split(":"))
            .filter(e -> !e.contains("pytorch-native"))
            .collect(java.util.stream.Collectors.joining(":"));
    Map<String, String> broken = new TreeMap<>();
    broken.put("spark.executor.extraClassPath", classpath);
    broken.put("spark.executorEnv.ENGINE_CACHE_DIR", emptyCache.toString());
    Instant started = Instant.now();
    Process driver = driver("broken-executors", broken, "infer");
    int exit;
    try {
      Files.createDirectories(emptyCache);
      exit = driver.waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    double seconds = seconds(started);
    String log;
    try {
      log = Files.readString(work.resolve("logs").resolve("broken-executors.log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String error =
        log.lines().filter(l -> l.startsWith("edl-dist: ")).findFirst().orElse("(no error line)");
    // Without the cancellation the error would read "Task ... failed 4 times ..."
    boolean first = error.startsWith("edl-dist: Cannot load teacher") && error.contains("models/");
    boolean passed = exit == 2 && first && !lake.hasTable(Lake.SOFT_LABELS);
    return add(
        new Scenario(
            "broken-executors",
            "executors without libtorch's native library",
            0,
            0,
            0,
            0,
            0,
            0,
            seconds,
            seconds,
            passed,
            String.format(
                "exit %d, %.0f s after the driver JVM started, nothing written: %s",
                exit, seconds, error)));
  }

  /** d. The driver SIGKILLed mid-infer after some chunks were committed, then infer again. */
  public Scenario driverKill() {
    Path deltaLog = Path.of(lake.path(Lake.SOFT_LABELS)).resolve("_delta_log");
    int chunkRows = (int) Math.max(1, samples / 6);
    Instant started = Instant.now();
    Process driver =
        driver(
            "driver-kill", Map.of(EdlConfig.INFER_ROWS_PER_COMMIT.name(), "" + chunkRows), "infer");
    await(() -> commits(deltaLog) >= 2 || !driver.isAlive(), "two soft_labels commits");
    if (!driver.isAlive()) {
      throw new IllegalStateException("the driver finished before it could be killed; see logs");
    }
    driver.toHandle().destroyForcibly();
    driver.onExit().join();
    double killedAfter = seconds(started);
    long landed = commits(deltaLog);
    InferStage.Result rerun = new InferStage(lake, config, RUN_ID).execute();
    double fraction = (double) rerun.scored() / rerun.total();
    Check c = check(Lake.SOFT_LABELS);
    return add(
        new Scenario(
            "driver-kill",
            "SIGKILL the driver mid-infer, run infer again",
            1,
            c.rows,
            c.duplicates + c.extra,
            c.lost,
            c.maxDiff,
            cleanInferSeconds,
            killedAfter + rerun.seconds(),
            rerun.seconds(),
            c.exact(),
            String.format(
                "%d chunk commit(s) of about %,d rows had landed when the driver died; the re-run"
                    + " scored %,d of %,d samples (%.0f%%)",
                landed, chunkRows, rerun.scored(), rerun.total(), 100 * fraction)));
  }

  /**
   * e. {@code train} SIGKILLed after a checkpoint, then {@code train --resume}; compared with an
   * uninterrupted run of the same seed.
   */
  public Scenario trainKill() {
    Map<String, String> train = trainSettings("chaos-train-killed");
    Instant started = Instant.now();
    Process driver = driver("train-kill", train, "train");
    Path log = work.resolve("logs").resolve("train-kill.log");
    Path checkpoints = Path.of(lake.path("checkpoints/chaos-train-killed"));
    long[] lastStep = {0, 1};
    await(
        () -> {
          lastStep[0] = lastStep(log, lastStep);
          return (lastStep[0] >= lastStep[1] / 2 && committedCheckpoint(checkpoints))
              || !driver.isAlive();
        },
        "half of the training steps and a checkpoint");
    if (!driver.isAlive()) {
      throw new IllegalStateException("train finished before it could be killed; see " + log);
    }
    driver.toHandle().destroyForcibly();
    driver.onExit().join();
    long killedAtLeastAt = lastStep(log, lastStep);
    double killedAfter = seconds(started);

    TrainStage.Result resumed =
        new TrainStage(lake, config.with(train), "chaos-train-killed").resume(true).execute();
    TrainStage.Result clean =
        new TrainStage(lake, config.with(trainSettings("chaos-train-clean")), "chaos-train-clean")
            .execute();
    double resumedAccuracy = accuracy(resumed.student());
    double cleanAccuracy = accuracy(clean.student());
    long from = resumed.training().resumedFromStep();
    long lostSteps = killedAtLeastAt - from;
    boolean passed =
        from > 0
            && lostSteps <= CHECKPOINT_EVERY
            && Math.abs(resumedAccuracy - cleanAccuracy) <= ACCURACY_TOLERANCE;
    return add(
        new Scenario(
            "train-kill",
            "SIGKILL the driver mid-train, then train --resume",
            1,
            0,
            0,
            0,
            0,
            clean.training().seconds(),
            killedAfter + resumed.training().seconds(),
            resumed.training().seconds(),
            passed,
            String.format(
                "killed at step >= %d, resumed from checkpoint %d (%d steps lost, interval %d);"
                    + " test accuracy %.4f resumed vs %.4f uninterrupted",
                killedAtLeastAt,
                from,
                lostSteps,
                CHECKPOINT_EVERY,
                resumedAccuracy,
                cleanAccuracy)));
  }

  /** f. The first attempt of three partitions throws after one batch; Spark retries them. */
  public Scenario transientFailures() {
    String table = "chaos_transient";
    AtomicInteger failures = new AtomicInteger();
    AtomicLong retryMillis = new AtomicLong();
    SparkListener counter =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            if (!end.taskInfo().successful()) {
              failures.incrementAndGet();
            } else if (end.taskInfo().attemptNumber() > 0) {
              retryMillis.addAndGet(end.taskInfo().duration());
            }
          }
        };
    lake.spark().sparkContext().addSparkListener(counter);
    InferStage.Result r;
    try {
      r =
          new InferStage(lake, config.with(EdlConfig.CHAOS_FAIL_PARTITIONS, "0,3,5"), RUN_ID)
              .table(table)
              .execute();
    } finally {
      lake.spark().sparkContext().removeSparkListener(counter);
    }
    Check c = check(table);
    return add(
        new Scenario(
            "transient-failures",
            "first attempt of partitions 0, 3, 5 throws after one batch",
            0,
            c.rows,
            c.duplicates + c.extra,
            c.lost,
            c.maxDiff,
            cleanInferSeconds,
            r.seconds(),
            retryMillis.get() / 1000.0,
            c.exact() && failures.get() >= 3,
            failures.get()
                + " failed task attempts, all retried (recovery: the retried attempts' task time)"));
  }

  /**
   * g. A Parquet file written into the table folder outside the Delta log, as a dead task leaves
   * behind: readers ignore it and VACUUM removes it once older than the retention (7 days).
   */
  public Scenario strayFile() {
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
      throw new UncheckedIOException(e);
    }
    Check withStray = check(Lake.SOFT_LABELS);
    Instant started = Instant.now();
    lake.spark().sql("VACUUM delta.`" + table + "`").collect();
    double vacuumSeconds = seconds(started);
    Check after = check(Lake.SOFT_LABELS);
    boolean removed = !Files.exists(stray);
    return add(
        new Scenario(
            "stray-file",
            "a Parquet file in the table folder outside the Delta log",
            0,
            withStray.rows + after.rows,
            withStray.duplicates + withStray.extra + after.duplicates + after.extra,
            withStray.lost + after.lost,
            Math.max(withStray.maxDiff, after.maxDiff),
            0,
            vacuumSeconds,
            vacuumSeconds,
            withStray.exact() && after.exact() && removed,
            "readers ignored the stray file; VACUUM "
                + (removed ? "removed" : "did NOT remove")
                + " it"));
  }

  @Override
  public void close() {
    try {
      if (lake != null) {
        lake.spark().stop();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  private Scenario inferWithKill(String name, String fault, IntSupplier kill) {
    String table = "chaos_" + name.replace('-', '_');
    InferTasks tasks = new InferTasks();
    Instant started = Instant.now();
    lake.spark().sparkContext().addSparkListener(tasks);
    InferStage.Result r;
    Instant killedAt;
    int kills;
    int finishedAtKill;
    try {
      CompletableFuture<InferStage.Result> run =
          CompletableFuture.supplyAsync(
              () -> {
                SparkSession.setActiveSession(lake.spark());
                return new InferStage(lake, config, RUN_ID).table(table).execute();
              });
      await(() -> tasks.finished.get() >= 2 || run.isDone(), "two scoring tasks to finish");
      if (run.isDone()) {
        throw new IllegalStateException("infer finished before the kill: use more chaos rows");
      }
      finishedAtKill = tasks.finished.get();
      killedAt = Instant.now();
      kills = kill.getAsInt();
      r = run.join();
    } finally {
      lake.spark().sparkContext().removeSparkListener(tasks);
    }
    Check c = check(table);
    return add(
        new Scenario(
            name,
            fault,
            kills,
            c.rows,
            c.duplicates + c.extra,
            c.lost,
            c.maxDiff,
            cleanInferSeconds,
            seconds(started),
            seconds(killedAt),
            c.exact(),
            String.format(
                "killed %d process(es) when %d of %d scoring tasks had finished; %d commit(s)",
                kills, finishedAtKill, config.get(EdlConfig.INFER_PARTITIONS), r.commits())));
  }

  /** Counts the finished tasks of infer's scoring jobs (not of the reads before them). */
  private static final class InferTasks extends SparkListener {
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final AtomicInteger finished = new AtomicInteger();

    @Override
    public void onJobStart(SparkListenerJobStart start) {
      String description = start.properties().getProperty("spark.job.description", "");
      if (description.startsWith("infer ")) {
        start.stageIds().foreach(id -> stages.add((Integer) id));
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      if (end.taskInfo().successful() && stages.contains(end.stageId())) {
        finished.incrementAndGet();
      }
    }
  }

  private Scenario add(Scenario s) {
    scenarios.add(s);
    System.err.printf(
        "chaos: %-18s %s rows=%d duplicates=%d lost=%d max|dlogit|=%.1e %.1fs (clean %.1fs) %s%n",
        s.name(),
        s.passed() ? "PASS" : "FAIL",
        s.rowsChecked(),
        s.duplicates(),
        s.lost(),
        s.maxLogitDiff(),
        s.seconds(),
        s.cleanSeconds(),
        s.finding());
    return s;
  }

  /** The comparison of a soft-label table with the reference, by id. */
  record Check(long rows, long duplicates, long lost, long extra, double maxDiff) {
    boolean exact() {
      return duplicates == 0 && lost == 0 && extra == 0 && maxDiff <= LOGIT_TOLERANCE;
    }
  }

  private Check check(String table) {
    Dataset<Row> got =
        lake.read(table)
            .where(col("teacher_id").equalTo(teacherId))
            .select(col("id"), col("logits").as("got"));
    Dataset<Row> ref = lake.read(REFERENCE).select(col("id"), col("logits").as("ref"));
    long rows = got.count();
    long distinct = got.select("id").distinct().count();
    long lost = ref.join(got, ref.col("id").equalTo(got.col("id")), "left_anti").count();
    long extra = got.join(ref, got.col("id").equalTo(ref.col("id")), "left_anti").count();
    Row diff =
        got.join(ref, "id")
            .select(
                expr("aggregate(zip_with(got, ref, (x, y) -> abs(x - y)), 0D, (a, v) -> greatest(a, v))")
                    .as("d"))
            .agg(max("d"))
            .first();
    double maxDiff = diff.isNullAt(0) ? 0 : diff.getDouble(0);
    return new Check(rows, rows - distinct, lost, extra, maxDiff);
  }

  private double accuracy(ModelBundle student) {
    var features = IngestStage.features(lake);
    TestSet test =
        TestSet.of(lake.read(Lake.SAMPLES).where(col("split").equalTo("test")), features, false);
    try (var model = student.load()) {
      return test.accuracy(test.predictions(model, 256));
    }
  }

  /** The chaos run's own settings, over the user's: slice, lake, cluster, dynamic allocation. */
  private Map<String, String> settings() {
    Map<String, String> s = new TreeMap<>(cluster.executorSettings());
    s.put(EdlConfig.LAKE.name(), work.resolve("lake").toString());
    s.put("ingest.train-limit", userConfig.raw(EdlConfig.CHAOS_TRAIN_ROWS));
    s.put("ingest.test-limit", userConfig.raw(EdlConfig.CHAOS_TEST_ROWS));
    s.put("teacher.epochs", "1");
    s.put("infer.partitions", "8");
    s.put("spark.ui.enabled", "false");
    s.put("spark.ui.showConsoleProgress", "false");
    s.put("spark.executor.cores", "1");
    s.put("spark.executor.memory", "1g");
    s.put("spark.task.cpus", "1");
    s.put("spark.task.maxFailures", "4");
    s.put("spark.locality.wait", "0s");
    s.put("spark.sql.shuffle.partitions", "4");
    s.put("spark.sql.sources.parallelPartitionDiscovery.parallelism", "4");
    s.put("spark.databricks.delta.snapshotPartitions", "2");
    s.put("spark.dynamicAllocation.enabled", "true");
    s.put("spark.dynamicAllocation.shuffleTracking.enabled", "true");
    s.put("spark.dynamicAllocation.shuffleTracking.timeout", "5s");
    s.put("spark.dynamicAllocation.minExecutors", "0");
    s.put("spark.dynamicAllocation.maxExecutors", "2");
    s.put("spark.dynamicAllocation.schedulerBacklogTimeout", "1s");
    s.put("spark.dynamicAllocation.executorIdleTimeout", "5s");
    s.put("spark.dynamicAllocation.cachedExecutorIdleTimeout", "10s");
    return s;
  }

  private Map<String, String> trainSettings(String runId) {
    Map<String, String> s = new TreeMap<>();
    s.put(EdlConfig.RUN_ID.name(), runId);
    s.put(EdlConfig.TRAIN_MODE.name(), "kd");
    s.put(EdlConfig.TRAIN_EPOCHS.name(), "5");
    s.put(EdlConfig.TRAIN_CHECKPOINT_EVERY.name(), Integer.toString(CHECKPOINT_EVERY));
    return s;
  }

  /** A driver as a child JVM running {@code edl-dist <command>} with the chaos settings. */
  private Process driver(String name, Map<String, String> extra, String command) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(
            a ->
                a.startsWith("--add-opens")
                    || a.startsWith("-XX:+Ignore")
                    || a.startsWith("-Dai.djl"))
        .forEach(cmd::add);
    cmd.add("-Djdk.reflect.useDirectMethodHandle=false");
    cmd.add("-Xmx2g");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.edldist.jobs.cli.Main");
    Map<String, String> all = new TreeMap<>(config.explicitSettings());
    all.putAll(extra);
    all.forEach(
        (k, v) -> {
          cmd.add("--set");
          cmd.add(k + "=" + v);
        });
    cmd.add(command);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("EDL_DIST_CONF");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Path log = work.resolve("logs").resolve(name + ".log");
    try {
      Files.createDirectories(log.getParent());
      return pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw EdlException.cannot("start a driver JVM", e, "See " + log);
    }
  }

  private static long commits(Path deltaLog) {
    try (var files = Files.list(deltaLog)) {
      return files.filter(f -> f.getFileName().toString().matches("\\d{20}\\.json")).count();
    } catch (IOException e) {
      return 0;
    }
  }

  private static boolean committedCheckpoint(Path runFolder) {
    try (var files = Files.walk(runFolder)) {
      return files.anyMatch(f -> f.getFileName().toString().equals("_COMMITTED"));
    } catch (IOException e) {
      return false;
    }
  }

  /** The last "step N/T" a driver printed; keeps T in {@code state[1]}. */
  private static long lastStep(Path log, long[] state) {
    long last = state[0];
    try {
      Matcher m = STEP.matcher(Files.readString(log));
      while (m.find()) {
        last = Long.parseLong(m.group(1));
        state[1] = Long.parseLong(m.group(2));
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      return last;
    }
    return last;
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("chaos: timed out waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private static double seconds(Instant since) {
    return Duration.between(since, Instant.now()).toNanos() / 1e9;
  }
}
