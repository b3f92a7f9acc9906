package io.edldist.jobs.bench;

import io.edldist.jobs.cluster.LocalCluster;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.lake.Sessions;
import io.edldist.udfs.model.ModelCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The benchmark's cluster part, on standalone clusters started on this machine (executors are JVMs
 * of their own):
 *
 * <ul>
 *   <li>{@code infer_scaling_2x}: infer throughput with two one-core executors / with one, same
 *       rows, teacher, batch size and partitions; one application per measurement (executors are
 *       fixed per application), warmed up once; the sides alternate for {@code bench.repeats} pairs
 *       and the figure is the median of the per-pair ratios. Two one-core Workers, each pinned to
 *       its own CPU with its executors: unpinned, the lone "one-core" executor spread its Parquet
 *       decoding, Delta writing and garbage collection over the machine's second core (2,848
 *       samples/s against 1,589 pinned in one bench), which no container-limited executor on YARN
 *       or Kubernetes gets.
 *   <li>executor memory: the peak resident set (VmHWM) of an executor JVM that ran infer with one
 *       task slot, and of one with four concurrent tasks (a four-core Worker, unpinned), plus how
 *       many times each loaded the teacher (once: the per-JVM model cache).
 * </ul>
 *
 * The caller's Spark session is stopped first: a JVM holds one active Spark context.
 */
final class ClusterBench {
  private static final String SCRATCH = "bench_cluster_soft_labels";
  private static final int PARTITIONS = 8;

  private final String lakeRoot;
  private final EdlConfig config;
  private final String runId;
  private final int repeats;

  ClusterBench(String lakeRoot, EdlConfig config, String runId) {
    this.lakeRoot = lakeRoot;
    this.config = config;
    this.runId = runId;
    this.repeats = config.get(EdlConfig.BENCH_REPEATS);
  }

  Map<String, Object> execute(Lake current) throws IOException {
    current.spark().stop();
    Path dir = Files.createTempDirectory("edl-dist-bench-cluster");
    Map<String, Object> out = new LinkedHashMap<>();
    try {
      List<Double> oneRuns = new ArrayList<>();
      List<Double> twoRuns = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      Side one = null;
      try (LocalCluster cluster =
          LocalCluster.start(
              LocalCluster.Options.onFreePorts(dir.resolve("one-core-workers"), 2, 1).pinned())) {
        for (int r = 1; r <= repeats; r++) {
          String run = "run " + r + "/" + repeats;
          Side a = side(cluster, 1, 1, run);
          Side b = side(cluster, 1, 2, run);
          oneRuns.add(a.rate);
          twoRuns.add(b.rate);
          ratios.add(b.rate / a.rate);
          one = one == null || a.peakRssMb > one.peakRssMb ? a : one;
        }
      }
      Side four;
      try (LocalCluster cluster =
          LocalCluster.start(
              LocalCluster.Options.onFreePorts(dir.resolve("four-core-worker"), 1, 4))) {
        four = side(cluster, 4, 4, "run 1/1");
      }
      out.put("infer_scaling_2x", BenchStage.median(ratios));
      out.put("infer_scaling_2x_pairs", ratios);
      Map<String, Object> rates = new LinkedHashMap<>();
      rates.put("one_executor", BenchStage.median(oneRuns));
      rates.put("two_executors", BenchStage.median(twoRuns));
      out.put("cluster_infer_samples_per_s", rates);
      Map<String, Object> runs = new LinkedHashMap<>();
      runs.put("one_executor", oneRuns);
      runs.put("two_executors", twoRuns);
      out.put("cluster_infer_runs_samples_per_s", runs);
      Map<String, Object> memory = new LinkedHashMap<>();
      memory.put("executor_peak_rss_mb_1_task", one.peakRssMb);
      memory.put("executor_peak_rss_mb_4_tasks", four.peakRssMb);
      memory.put("teacher_loads_per_executor_1_task", one.teacherLoads);
      memory.put("teacher_loads_per_executor_4_tasks", four.teacherLoads);
      memory.put("executor_heap", "1g");
      out.put("executor_memory", memory);
    } finally {
      LocalFiles.deleteTree(dir);
    }
    return out;
  }

  private record Side(double rate, double peakRssMb, int teacherLoads) {}

  /**
   * One application with {@code maxCores / executorCores} executors: a warm-up infer, then one
   * measured infer. The two scaling sides alternate application by application, so a slow spell of
   * the machine falls on both sides of a pair rather than on all runs of one side.
   */
  private Side side(LocalCluster cluster, int executorCores, int maxCores, String run) {
    Map<String, String> s = new TreeMap<>(cluster.executorSettings());
    s.put("spark.executor.cores", Integer.toString(executorCores));
    s.put("spark.cores.max", Integer.toString(maxCores));
    s.put("spark.executor.memory", "1g");
    s.put("spark.task.cpus", "1");
    s.put("spark.dynamicAllocation.enabled", "false");
    s.put("spark.ui.enabled", "false");
    s.put("spark.ui.showConsoleProgress", "false");
    s.put("spark.locality.wait", "0s");
    s.put("spark.databricks.delta.snapshotPartitions", "2");
    s.put("spark.sql.shuffle.partitions", "4");
    s.put(EdlConfig.INFER_PARTITIONS.name(), Integer.toString(PARTITIONS));
    s.put(EdlConfig.INFER_ROWS_PER_COMMIT.name(), Integer.toString(Integer.MAX_VALUE));
    EdlConfig c = config.with(s);
    Lake lake = new Lake(Sessions.create(c, "edl-dist bench cluster"), lakeRoot);
    try {
      awaitExecutors(lake, maxCores / executorCores);
      double rate = 0;
      for (String pass : List.of("warm-up", run)) {
        lake.delete(SCRATCH);
        rate = new InferStage(lake, c, runId).table(SCRATCH).execute().samplesPerSecond();
        System.err.printf(
            Locale.ROOT,
            "bench: cluster infer, %d executor(s) x %d core(s), %s: %.0f/s%n",
            maxCores / executorCores,
            executorCores,
            pass,
            rate);
      }
      lake.delete(SCRATCH);
      int loads = teacherLoads(lake, maxCores);
      double rss =
          cluster.executors().stream().mapToDouble(ClusterBench::peakRssMb).max().orElse(0);
      return new Side(rate, rss, loads);
    } finally {
      lake.spark().stop();
    }
  }

  /** The most times any executor JVM loaded a model, asked of every task slot. */
  private static int teacherLoads(Lake lake, int slots) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(lake.spark().sparkContext());
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < slots * 4; i++) {
      ids.add(i);
    }
    return jsc.parallelize(ids, slots * 4).map(i -> ModelCache.loads()).collect().stream()
        .mapToInt(Integer::intValue)
        .max()
        .orElse(0);
  }

  private static void awaitExecutors(Lake lake, int count) {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (lake.spark().sparkContext().getExecutorMemoryStatus().size() - 1 < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the cluster did not grant " + count + " executors");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** Peak resident set of a process in MB, from /proc (Linux). */
  private static double peakRssMb(ProcessHandle p) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }
}
