package io.edldist.jobs.chaos;

import io.edldist.jobs.cluster.JvmProcess;
import io.edldist.jobs.cluster.LocalCluster;
import io.edldist.jobs.cluster.Submission;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.report.Report;
import io.edldist.jobs.results.ChaosResult;
import io.edldist.jobs.results.ResultsFiles;
import io.edldist.jobs.results.ScenarioResult;
import io.edldist.jobs.runtime.Sessions;
import io.edldist.jobs.teacher.TrainTeacherStage;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The reliability check: the pipeline on a real standalone cluster ({@link LocalCluster}: a Master,
 * two Workers and their executors as JVMs of their own) with processes killed in the middle of
 * work, each scenario a {@link Scenario} of its own.
 *
 * <p>{@link #start} starts the cluster and a driver session on it with dynamic allocation, ingests
 * a slice of the data into a reference lake, trains a teacher and scores every sample once without
 * faults. Each scenario then works in a lake of its own, a copy of the reference's samples and
 * models (and soft labels when it needs them), so scenarios do not depend on the order they run in;
 * it compares what it wrote with the reference by sample id ({@link SoftLabelDiff}). Drivers that a
 * scenario kills run as child JVMs ({@code edl-dist infer} / {@code train}, {@link #driver}).
 *
 * <p>Cost: about ten infer runs over the slice (7,000 rows by default), two short student trainings
 * and a few JVM starts: several minutes on two cores.
 */
public final class ChaosRun implements AutoCloseable {
  /** The run id of the in-process stages. */
  public static final String RUN_ID = "chaos";

  private static final Duration WAIT = Duration.ofMinutes(4);

  /** Every scenario, in the order {@code edl-dist chaos} runs them (any order works). */
  public static List<Scenario> scenarios() {
    return List.of(
        new ExecutorKill(),
        new WorkerKill(),
        new BrokenExecutors(),
        new DriverKill(),
        new TrainKill(),
        new TransientFailures(),
        new StrayFile());
  }

  private final Path work;
  private final EdlConfig userConfig;
  private final String stamp = ResultsFiles.stamp();
  private final List<ScenarioResult> results = new ArrayList<>();
  private final List<Lake> lakes = new ArrayList<>();
  private LocalCluster cluster;
  private EdlConfig config;
  private Lake reference;
  private String teacherId;
  private long samples;
  private double cleanInferSeconds;

  /**
   * @param work an empty folder for the cluster, the lakes and the drivers' logs
   */
  public ChaosRun(Path work, EdlConfig config) {
    this.work = work;
    this.userConfig = config;
  }

  /** Starts the cluster and the driver session, prepares the reference lake. */
  public ChaosRun start() {
    // the chaos driver needs its own session on the cluster, not one a caller left running
    for (var session : List.of(SparkSession.getActiveSession(), SparkSession.getDefaultSession())) {
      if (session.isDefined()) {
        session.get().stop();
      }
    }
    cluster = LocalCluster.start(LocalCluster.options(work.resolve("cluster")).build());
    config = userConfig.with(settings());
    reference = lake("reference");
    new IngestStage(reference, config).execute();
    new TrainTeacherStage(reference, config, RUN_ID).reuse(true).execute();
    InferStage.Result clean = new InferStage(reference, config, RUN_ID).execute();
    teacherId = clean.teacherId();
    samples = clean.total();
    cleanInferSeconds = clean.seconds();
    SoftLabelDiff.Counts self = SoftLabelDiff.compare(reference, reference, teacherId);
    if (self.rows() != samples || self.duplicates() != 0) {
      throw new IllegalStateException("the clean reference run is not exact: " + self);
    }
    return this;
  }

  /** Starts, runs every scenario, draws the executor timeline; the result's line is the summary. */
  public ChaosResult execute(Path timelinePng) throws IOException {
    start();
    for (Scenario s : scenarios()) {
      run(s);
    }
    timeline(timelinePng);
    return result();
  }

  /** Runs one scenario, prints its line and keeps its result. */
  public ScenarioResult run(Scenario scenario) {
    ScenarioResult s = scenario.run(this);
    results.add(s);
    System.err.printf(
        Locale.ROOT,
        "chaos: %-18s %s rows=%s duplicates=%s lost=%s %.1fs: %s%n",
        s.name(),
        s.passed() ? "PASS" : "FAIL",
        s.rowsChecked() == null ? "-" : s.rowsChecked(),
        s.duplicates() == null ? "-" : s.duplicates(),
        s.lost() == null ? "-" : s.lost(),
        s.seconds(),
        s.finding());
    return s;
  }

  public ChaosResult result() {
    return new ChaosResult(
        ChaosResult.KIND,
        stamp,
        ResultsFiles.gitCommit(),
        Runtime.getRuntime().availableProcessors(),
        List.copyOf(results));
  }

  /**
   * Draws the executors the driver held over the whole run, from {@link #metrics}; returns whether
   * there was anything to draw.
   */
  public boolean timeline(Path png) throws IOException {
    Dataset<Row> all = metrics();
    return all != null && Report.executorTimeline(all, png);
  }

  /** The {@code metrics} rows of every lake the run wrote, or null before the first. */
  public Dataset<Row> metrics() {
    Dataset<Row> all = null;
    for (Lake l : lakes) {
      if (l.hasTable(Lake.METRICS)) {
        all = all == null ? l.read(Lake.METRICS) : all.unionByName(l.read(Lake.METRICS));
      }
    }
    return all;
  }

  // ---- what scenarios use ----

  LocalCluster cluster() {
    return cluster;
  }

  /** The settings the chaos driver runs with: the cluster, dynamic allocation, the slice. */
  public EdlConfig config() {
    return config;
  }

  public SparkSession spark() {
    return reference.spark();
  }

  public Lake reference() {
    return reference;
  }

  String teacherId() {
    return teacherId;
  }

  long samples() {
    return samples;
  }

  double cleanInferSeconds() {
    return cleanInferSeconds;
  }

  /**
   * A new lake for a scenario: a copy of the reference's samples and models and, with {@code
   * softLabels}, of its soft labels. Delta logs hold relative paths, so a copied table is whole.
   */
  public Lake freshLake(String name, boolean softLabels) {
    List<String> parts = new ArrayList<>(List.of(Lake.SAMPLES, "models"));
    if (softLabels) {
      parts.add(Lake.SOFT_LABELS);
    }
    Path from = Path.of(reference.root());
    Path to = work.resolve("lakes").resolve(name);
    try {
      LocalFiles.deleteTree(to);
      for (String part : parts) {
        LocalFiles.copyTree(from.resolve(part), to.resolve(part));
      }
    } catch (IOException e) {
      throw EdlException.cannot("copy the reference lake to " + to, e, "Check free disk space");
    }
    return lake(name);
  }

  private Lake lake(String name) {
    SparkSession spark =
        reference == null ? Sessions.create(config, "edl-dist chaos") : reference.spark();
    Lake lake = new Lake(spark, work.resolve("lakes").resolve(name).toString());
    lakes.add(lake);
    return lake;
  }

  /** The log file of the child JVM {@code name}. */
  Path log(String name) {
    return work.resolve("logs").resolve(name + ".log");
  }

  /** A driver as a child JVM running {@code edl-dist <command>} on {@code lake}. */
  Process driver(String name, Lake lake, Map<String, String> extra, String... command) {
    List<String> args = new ArrayList<>();
    Map<String, String> all = new TreeMap<>(config.explicitSettings());
    all.put(EdlConfig.LAKE.name(), lake.root());
    all.putAll(extra);
    all.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
    args.addAll(List.of(command));
    try {
      Files.deleteIfExists(log(name));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return JvmProcess.of(Submission.MAIN_CLASS)
        .args(args)
        .heap("2g")
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .start(log(name));
  }

  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw EdlException.cannot(
            "finish a chaos scenario",
            "nothing happened for " + WAIT.toMinutes() + " minutes while waiting for " + what,
            "See the drivers' logs (--work keeps them) and the cluster's logs");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  static double secondsSince(long nanos) {
    return (System.nanoTime() - nanos) / 1e9;
  }

  @Override
  public void close() {
    try {
      if (reference != null) {
        reference.spark().stop();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  /** The chaos run's own settings, over the user's: slice, cluster, dynamic allocation. */
  private Map<String, String> settings() {
    Map<String, String> s = new TreeMap<>(cluster.executorSettings());
    s.put("ingest.train-limit", userConfig.raw(EdlConfig.CHAOS_TRAIN_ROWS));
    s.put("ingest.test-limit", userConfig.raw(EdlConfig.CHAOS_TEST_ROWS));
    s.put("teacher.epochs", "1");
    s.put("infer.partitions", "8");
    s.put("ingest.rows-per-file", "500"); // infer commits whole files: several per lake
    s.put("spark.ui.enabled", "false");
    s.put("spark.ui.showConsoleProgress", "false");
    s.put("spark.executor.cores", "1");
    s.put("spark.executor.memory", "1g");
    s.put("spark.task.cpus", "1");
    s.put("spark.task.maxFailures", "4");
    s.put("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
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
}
