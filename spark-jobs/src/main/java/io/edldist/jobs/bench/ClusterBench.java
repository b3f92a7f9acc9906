package io.edldist.jobs.bench;

import io.edldist.jobs.cluster.LocalCluster;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.runtime.Sessions;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 *   <li>{@code infer_scaling_2x}: infer seconds with one one-core executor over seconds with two,
 *       same rows, teacher, batch size and partitions. Executors are fixed per application, so each
 *       side is an application of its own (warmed up on a small table, then one measured infer);
 *       the sides run pair by pair, the first alternating, and the figure is the median of the
 *       per-pair ratios. Two one-core Workers, each pinned to its own CPU with its executors, as a
 *       container's CPU limit pins an executor on YARN or Kubernetes: unpinned, the lone "one-core"
 *       executor would use the machine's other core for its decoding, writing and garbage
 *       collection. The table is the samples repeated under new ids, enough that an infer with
 *       nothing to score (its fixed cost) stays under 5% of the two-executor side.
 *   <li>Executor memory: the peak resident set (VmHWM) of an executor JVM that ran infer with one
 *       task slot, and of one with four concurrent tasks (a four-core Worker, unpinned), and how
 *       many times each loaded the teacher (once: the per-JVM model cache).
 * </ul>
 *
 * The caller's Spark session is stopped first: a JVM holds one active Spark context.
 */
final class ClusterBench {
  private static final int PARTITIONS = 8;
  private static final double FIXED_SHARE = 0.05;
  private static final int WARMUP_ROWS = 4096;
  private static final String HEAP = "1g";

  private final Lake source;
  private final EdlConfig config;
  private final ModelBundle teacher;
  private final String runId;

  ClusterBench(Lake source, EdlConfig config, ModelBundle teacher, String runId) {
    this.source = source;
    this.config = config;
    this.teacher = teacher;
    this.runId = runId;
  }

  BenchResult.Cluster measure(int repeats) throws IOException {
    String sourceRoot = source.root();
    long sourceRows = source.read(Lake.SAMPLES).count();
    ScratchLake warmup =
        ScratchLake.of(source, source.read(Lake.SAMPLES).orderBy("id").limit(WARMUP_ROWS), teacher);
    source.spark().stop();
    Path dir = Files.createTempDirectory("edl-dist-bench-cluster");
    List<String> scratch = new ArrayList<>();
    try (LocalCluster cluster =
        LocalCluster.start(
            LocalCluster.options(dir.resolve("one-core-workers")).optPinned().build())) {
      // sizing, in an application with both executors
      double fixed;
      int copies;
      try (App app = new App(cluster, 1, 2, warmup.root())) {
        Lake src = app.lake(sourceRoot);
        ScratchLake once = ScratchLake.repeated(src, 1, teacher);
        scratch.add(once.root());
        double full = app.infer(once.lake(), true);
        fixed = app.infer(once.lake());
        double rate = sourceRows / full;
        copies = (int) Math.max(1, Math.ceil(fixed / FIXED_SHARE * rate / sourceRows));
        scratch.add(copies == 1 ? once.root() : ScratchLake.repeated(src, copies, teacher).root());
      }
      String table = scratch.get(scratch.size() - 1);
      long rows = copies * sourceRows;
      System.err.printf(
          Locale.ROOT,
          "bench: cluster infer costs %.2f s before its first row; %,d rows keep that under 5%%%n",
          fixed,
          rows);
      Side[] one = new Side[1];
      Pairs.Seconds s =
          Pairs.measure(
              "cluster infer: one executor / two",
              repeats,
              w -> (one[0] = side(cluster, 1, 1, warmup.root(), table)).seconds,
              w -> side(cluster, 1, 2, warmup.root(), table).seconds);
      Side four;
      try (LocalCluster big =
          LocalCluster.start(
              LocalCluster.options(dir.resolve("four-core-worker"))
                  .optWorkers(1)
                  .optCoresPerWorker(4)
                  .build())) {
        four = side(big, 4, 4, warmup.root(), table);
      }
      return new BenchResult.Cluster(
          rows,
          PARTITIONS,
          fixed,
          s.a(),
          s.b(),
          s.aOverB(),
          one[0].peakRssMb,
          four.peakRssMb,
          one[0].teacherLoads,
          four.teacherLoads,
          HEAP);
    } finally {
      for (String root : scratch) {
        LocalFiles.deleteTree(Path.of(root));
      }
      warmup.close();
      LocalFiles.deleteTree(dir);
    }
  }

  private record Side(double seconds, double peakRssMb, int teacherLoads) {}

  /**
   * One application with {@code maxCores / executorCores} executors: a warm-up infer of a small
   * table, then one measured infer of {@code table}; the executors' peak memory and teacher loads.
   */
  private Side side(
      LocalCluster cluster, int executorCores, int maxCores, String warmupRoot, String table) {
    try (App app = new App(cluster, executorCores, maxCores, warmupRoot)) {
      double seconds = app.infer(app.lake(table), true);
      int loads = teacherLoads(app.lake(table), maxCores);
      double rss =
          cluster.executors().stream().mapToDouble(ClusterBench::peakRssMb).max().orElse(0);
      return new Side(seconds, rss, loads);
    }
  }

  /** An application on the cluster with a fixed number of executors, warmed up. */
  private final class App implements AutoCloseable {
    private final EdlConfig appConfig;
    private final Lake any;

    App(LocalCluster cluster, int executorCores, int maxCores, String warmupRoot) {
      Map<String, String> s = new TreeMap<>(cluster.executorSettings());
      s.put("spark.executor.cores", Integer.toString(executorCores));
      s.put("spark.cores.max", Integer.toString(maxCores));
      s.put("spark.executor.memory", HEAP);
      s.put("spark.task.cpus", "1");
      s.put("spark.dynamicAllocation.enabled", "false");
      s.put("spark.ui.enabled", "false");
      s.put("spark.ui.showConsoleProgress", "false");
      s.put("spark.locality.wait", "0s");
      s.put("spark.databricks.delta.snapshotPartitions", "2");
      s.put("spark.sql.shuffle.partitions", "4");
      s.put(EdlConfig.INFER_PARTITIONS.name(), Integer.toString(PARTITIONS));
      s.put(EdlConfig.INFER_ROWS_PER_COMMIT.name(), Integer.toString(Integer.MAX_VALUE));
      appConfig = config.with(s);
      any = new Lake(Sessions.create(appConfig, "edl-dist bench cluster"), warmupRoot);
      awaitExecutors(maxCores / executorCores);
      infer(any, true);
    }

    Lake lake(String root) {
      return new Lake(any.spark(), root);
    }

    /**
     * Seconds of an infer of the whole table; from empty {@code soft_labels} if asked, then checked
     * to have scored every row.
     */
    double infer(Lake lake, boolean fromEmpty) {
      if (fromEmpty) {
        lake.delete(Lake.SOFT_LABELS);
      }
      InferStage.Result r = new InferStage(lake, appConfig, runId).execute();
      return (fromEmpty ? ScratchLake.scoredAll(r, lake) : r).seconds();
    }

    double infer(Lake lake) {
      return infer(lake, false);
    }

    private void awaitExecutors(int count) {
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (any.spark().sparkContext().getExecutorMemoryStatus().size() - 1 < count) {
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

    @Override
    public void close() {
      any.spark().stop();
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
