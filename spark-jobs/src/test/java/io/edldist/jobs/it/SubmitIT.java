package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.cluster.LocalCluster;
import io.edldist.jobs.cluster.SparkDistribution;
import io.edldist.jobs.cluster.Submission;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.runtime.Sessions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The job jar ({@code target/edl-dist.jar}) through Spark's own {@code spark-submit}, as {@code
 * edl-dist submit --target standalone} runs it, with {@code conf/spark-defaults.standalone.conf},
 * on a standalone cluster whose Master, Workers and executors run from a Spark distribution's jars
 * alone ({@link SparkDistribution}): nothing is added to any classpath by hand, so the job jar and
 * the S3 jar must bring all edl-dist needs. In client and in cluster deploy mode: ingest, infer,
 * train.
 *
 * <p>The Workers offer two made-up GPUs each (a discovery script that prints addresses 0 and 1):
 * executors ask for one, so each task is assigned an address, which infer records; libtorch here
 * has no CUDA, so {@code infer.device=auto} computes on the CPU and must give the logits of a CPU
 * run, and {@code gpu} must fail with one line.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SubmitIT extends SparkTestBase {
  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  private static Path work;
  private static Path dist;
  private static Path gpus;
  private static LocalCluster cluster;
  private static Path log;

  @BeforeAll
  static void startCluster() throws IOException {
    work = Files.createTempDirectory("edl-dist-submit-it");
    dist =
        SparkDistribution.at(
            work.resolve("spark"), Path.of("../spark-dist/target/spark-classpath.txt"));
    gpus = work.resolve("gpus.sh");
    Files.writeString(
        gpus, "#!/bin/sh\necho '{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}'\n");
    Files.setPosixFilePermissions(gpus, PosixFilePermissions.fromString("rwxr-xr-x"));
    cluster =
        LocalCluster.start(
            LocalCluster.options(work.resolve("cluster"))
                .optWorkers(2)
                .optCoresPerWorker(2)
                .optDistribution(dist)
                .optGpus(2, gpus)
                .build());
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
    LocalFiles.deleteTree(work);
  }

  @Test
  @Order(1)
  void theDistributionHoldsSparkButNothingOfEdlDist() {
    List<String> jars = SparkDistribution.jarNames(dist);
    assertThat(jars).anyMatch(j -> j.startsWith("spark-core_2.13-4.0.1"));
    assertThat(jars)
        .noneMatch(j -> j.startsWith("delta-"))
        .noneMatch(j -> j.startsWith("api-0.36") || j.startsWith("pytorch-"))
        .noneMatch(j -> j.startsWith("hadoop-aws"))
        .noneMatch(j -> j.startsWith("udfs"));
  }

  @Test
  @Order(2)
  void clientModeIngestsInfersAndTrains() {
    Path lake = work.resolve("client-lake");
    for (String command : List.of("ingest", "train-teacher", "infer", "train")) {
      assertThat(submit("client", lake, Map.of(), command)).as(command).isZero();
    }
    assertPipelineRan(lake);
  }

  @Test
  @Order(3)
  void clusterModeRunsTheDriverInAWorker() {
    Path lake = work.resolve("cluster-lake");
    copy(work.resolve("client-lake"), lake, "models");
    for (String command : List.of("ingest", "infer", "train")) {
      assertThat(submit("cluster", lake, Map.of(), command)).as(command).isZero();
      String driver = awaitDriver();
      assertThat(cluster.drivers().get(driver))
          .as(command + " in driver " + driver)
          .isEqualTo("FINISHED");
    }
    assertPipelineRan(lake);
  }

  @Test
  @Order(4)
  void eachTaskSeesItsAssignedGpuAndAutoFallsBackToTheCpuWithTheSameLogits() {
    Path auto = work.resolve("gpu-auto-lake");
    Path cpu = work.resolve("gpu-cpu-lake");
    for (Path lake : List.of(auto, cpu)) {
      copy(work.resolve("client-lake"), lake, "samples", "models");
    }
    assertThat(submit("client", auto, twoGpusPerExecutor(), "--set", "infer.device=auto", "infer"))
        .isZero();
    assertThat(submit("client", cpu, Map.of(), "--set", "infer.device=cpu", "infer")).isZero();

    List<Row> assigned =
        sql("SELECT step, value FROM delta.`"
                + auto.resolve("metrics")
                + "` WHERE stage = 'infer' AND name = 'assigned_gpu'")
            .collectAsList();
    Set<Double> addresses = new TreeSet<>();
    assigned.forEach(r -> addresses.add(r.getDouble(1)));
    assertThat(addresses)
        .as("the addresses the tasks were given: two tasks at a time in an executor with two GPUs")
        .containsExactly(0.0, 1.0);
    assertThat(
            sql("SELECT count(*) FROM delta.`"
                    + cpu.resolve("metrics")
                    + "` WHERE name = 'assigned_gpu' AND value != -1")
                .first()
                .getLong(0))
        .as("tasks without a GPU record -1")
        .isZero();
    Row diff =
        sql("SELECT count(*), max(aggregate(zip_with(a.logits, c.logits, (x, y) -> abs(x - y)),"
                + " 0D, (m, v) -> greatest(m, v))) FROM delta.`"
                + auto.resolve("soft_labels")
                + "` a JOIN delta.`"
                + cpu.resolve("soft_labels")
                + "` c USING (id)")
            .first();
    assertThat(diff.getLong(0)).isEqualTo(TRAIN + TEST);
    assertThat(diff.getDouble(1)).as("largest logit difference, auto vs cpu").isZero();
  }

  @Test
  @Order(5)
  void gpuWithoutCudaIsOneLineAndExitTwo() {
    Path lake = work.resolve("gpu-auto-lake");
    Map<String, String> driverGpu = new TreeMap<>();
    driverGpu.put("spark.driver.resource.gpu.amount", "1");
    driverGpu.put("spark.driver.resource.gpu.discoveryScript", gpus.toString());
    assertThat(submit("client", lake, driverGpu, "--set", "train.device=auto", "train"))
        .as("the driver's GPU, with auto: the CPU")
        .isZero();
    assertThat(submit("client", lake, driverGpu, "--set", "train.device=gpu", "train"))
        .isEqualTo(2);
    assertThat(lastLine("edl-dist: "))
        .startsWith(
            "edl-dist: Cannot run on GPU 0 on the driver: the libtorch loaded here has no CUDA")
        .contains("train.device=auto");
    Path fresh = work.resolve("gpu-fail-lake");
    copy(work.resolve("client-lake"), fresh, "samples", "models");
    assertThat(submit("client", fresh, twoGpusPerExecutor(), "--set", "infer.device=gpu", "infer"))
        .isEqualTo(2);
    assertThat(lastLine("edl-dist: "))
        .containsPattern(
            "edl-dist: Cannot run on GPU [01] on executor \\d+: the libtorch loaded here has no CUDA")
        .contains("infer.device=auto");
    // infer creates the empty table before its query; no batch may have committed a row
    assertThat(dataFiles(fresh.resolve("soft_labels"))).as("soft_labels data files").isZero();
  }

  /** Executors with two GPUs and two cores: two tasks at a time, one GPU each. */
  private static Map<String, String> twoGpusPerExecutor() {
    return Map.of(
        "spark.executor.resource.gpu.amount", "2",
        "spark.task.resource.gpu.amount", "1",
        "spark.executor.cores", "2");
  }

  private static long dataFiles(Path table) {
    if (!Files.isDirectory(table)) {
      return 0;
    }
    try (var files = Files.walk(table)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith(".parquet"))
          .filter(f -> !f.toString().contains("_delta_log"))
          .count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Waits until the Master runs no driver; returns the id of the newest one. */
  private static String awaitDriver() {
    long deadline = System.nanoTime() + 300_000_000_000L;
    while (true) {
      Map<String, String> drivers = cluster.drivers();
      boolean running =
          drivers.values().stream().anyMatch(s -> s.equals("RUNNING") || s.equals("SUBMITTED"));
      if (!drivers.isEmpty() && !running) {
        return drivers.keySet().stream().max(String::compareTo).orElseThrow();
      }
      assertThat(System.nanoTime()).as("the driver finished within 5 minutes").isLessThan(deadline);
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private static void copy(Path from, Path to, String... parts) {
    try {
      for (String part : parts) {
        LocalFiles.copyTree(from.resolve(part), to.resolve(part));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The last line of the newest submission's output that starts with {@code prefix}. */
  private static String lastLine(String prefix) {
    try {
      List<String> lines = Files.readAllLines(log);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (lines.get(i).startsWith(prefix)) {
          return lines.get(i);
        }
      }
      return "(no line starting with " + prefix + ")";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void assertPipelineRan(Path lake) {
    assertThat(
            sql("SELECT count(*), count(DISTINCT id) FROM delta.`"
                    + lake.resolve("soft_labels")
                    + "`")
                .first())
        .isEqualTo(
            org.apache.spark.sql.RowFactory.create((long) TRAIN + TEST, (long) TRAIN + TEST));
    assertThat(lake.resolve("models/student-kd/LATEST")).exists();
  }

  /**
   * Submits {@code edl-dist <args>} with the standalone profile, sized for this machine's cluster.
   */
  private static int submit(String mode, Path lake, Map<String, String> conf, String... args) {
    Submission s =
        new Submission(HOME, Submission.Target.STANDALONE)
            .master(cluster.masterUrl())
            .deployMode(mode);
    Map<String, String> all = new TreeMap<>();
    all.put("spark.driver.memory", "1g");
    all.put("spark.executor.memory", "1g");
    all.put("spark.executor.cores", "2");
    all.put("spark.task.cpus", "1");
    all.put("spark.executorEnv.OMP_NUM_THREADS", "1");
    all.put("spark.dynamicAllocation.maxExecutors", "2");
    all.put("spark.driver.host", "127.0.0.1");
    all.put("spark.ui.enabled", "false");
    all.putAll(conf);
    all.forEach(s::conf);
    List<String> edl =
        new ArrayList<>(List.of("--lake", lake.toString(), "--data", data.toString()));
    edl.addAll(List.of("--set", "teacher.epochs=1", "--set", "train.epochs=1"));
    edl.addAll(List.of(args));
    Map<String, String> env = new HashMap<>(Sessions.NATIVE_MEMORY_ENV);
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    log = work.resolve("submit-" + System.nanoTime() + ".log");
    int code = s.args(edl).log(log).run(null, dist, env);
    if (code != 0) {
      // what went wrong, in the test's output
      try {
        List<String> lines = Files.readAllLines(log);
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.err::println);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return code;
  }
}
