package io.edldist.jobs.runtime;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.kryo.KryoClasses;
import io.edldist.udfs.sql.EdlFunctions;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Creates the Spark session every command uses. Under spark-submit the master and everything else
 * come from spark-submit; run directly (bin/edl-dist, tests) it defaults to {@code local[*]} bound
 * to the loopback address; pointed at a {@code spark://} master without spark-submit, the executors
 * get this JVM's classpath ({@link #sameMachineExecutorSettings}). Delta's SQL extension and
 * catalog are always on; the {@code spark.*} settings of the edl-dist config win over both.
 */
public final class Sessions {
  private static final String LOOPBACK = "127.0.0.1";

  /**
   * glibc malloc settings for every JVM that runs libtorch. By default each thread's malloc arena
   * hands a batch's freed tensors (tens of MB) back to the kernel, so every batch page-faults its
   * memory in again: 20,000-50,000 faults a second per task, a third of its CPU time spent in the
   * kernel, throughput less than half and swinging with the host (worst under virtualisation). One
   * arena (the main one never gives back a whole heap), blocks up to 32 MB (glibc's cap) from the
   * heap and a 1 GB trim threshold keep that memory in the process: the same teacher loop ran
   * 2.2-2.8 times faster on one core with 30 times fewer faults. bin/edl-dist exports the same
   * values for the driver JVM, which runs the tasks in local mode.
   */
  public static final Map<String, String> NATIVE_MEMORY_ENV =
      Map.of(
          "MALLOC_ARENA_MAX", "1",
          "MALLOC_MMAP_THRESHOLD_", "33554432",
          "MALLOC_TRIM_THRESHOLD_", "1073741824");

  private Sessions() {}

  /**
   * Executor settings for a driver whose executors run on this machine from its own jars (a
   * standalone cluster started with {@code edl-dist cluster start}, no spark-submit): this JVM's
   * classpath, the Scala version the Worker's command builder asks for, the loopback address.
   */
  public static Map<String, String> sameMachineExecutorSettings() {
    Map<String, String> s = new TreeMap<>();
    s.put("spark.executor.extraClassPath", System.getProperty("java.class.path"));
    s.put("spark.executorEnv.SPARK_SCALA_VERSION", "2.13");
    s.put("spark.executor.extraJavaOptions", "-Dai.djl.offline=true");
    s.put("spark.driver.host", LOOPBACK);
    s.put("spark.driver.bindAddress", LOOPBACK);
    return s;
  }

  public static SparkSession create(EdlConfig config, String appName) {
    SparkConf submitted = new SparkConf();
    Map<String, String> settings = new TreeMap<>();
    settings.put("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
    settings.put(
        "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    settings.put("spark.ui.showConsoleProgress", "true");
    String master =
        config
            .sparkSettings()
            .getOrDefault("spark.master", submitted.get("spark.master", "local[*]"));
    if (master.startsWith("local")) {
      settings.put("spark.master", master);
      settings.put("spark.driver.host", LOOPBACK);
      settings.put("spark.driver.bindAddress", LOOPBACK);
      settings.put("spark.sql.shuffle.partitions", "8");
      // Delta's VACUUM lists a table with this many tasks (Spark's default: 10000)
      settings.put("spark.sql.sources.parallelPartitionDiscovery.parallelism", "8");
      settings.put("spark.databricks.delta.snapshotPartitions", "2");
    } else if (master.startsWith("spark://") && !submitted.contains("spark.master")) {
      // Run directly against a standalone master (e.g. `edl-dist cluster start`): the executors
      // are on this machine and load the classes from the jars this JVM runs with.
      settings.putAll(sameMachineExecutorSettings());
    }
    if (!master.startsWith("local")) {
      NATIVE_MEMORY_ENV.forEach((k, v) -> settings.put("spark.executorEnv." + k, v));
    }
    settings.keySet().removeIf(submitted::contains);
    settings.putAll(config.sparkSettings());
    // Spark's Kryo cannot serialise Java records: ours go through Java serialization under it
    String registrators =
        settings.getOrDefault(
            "spark.kryo.registrator", submitted.get("spark.kryo.registrator", ""));
    if (!registrators.contains(KryoClasses.class.getName())) {
      settings.put(
          "spark.kryo.registrator",
          (registrators.isEmpty() ? "" : registrators + ",") + KryoClasses.class.getName());
    }
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    settings.forEach(builder::config);
    String effectiveMaster =
        settings.getOrDefault("spark.master", submitted.get("spark.master", ""));
    if (effectiveMaster.startsWith("spark://")) {
      MasterProbe.check(effectiveMaster, "spark.master", System.getenv());
    }
    SparkSession spark = start(builder);
    // a session that existed already (tests, a notebook) keeps its Spark settings, but takes this
    // command's Hadoop ones (s3a endpoints and credentials): they are read per file system
    config
        .sparkSettings()
        .forEach(
            (k, v) -> {
              if (k.startsWith("spark.hadoop.")) {
                spark
                    .sparkContext()
                    .hadoopConfiguration()
                    .set(k.substring("spark.hadoop.".length()), v);
              }
            });
    EdlFunctions.register(spark);
    ExecutorTimeline.install(spark.sparkContext());
    return spark;
  }

  /**
   * Starts the session; a setting Spark refuses when its context starts (say {@code
   * spark.executor.cores} 1 with {@code spark.task.cpus} 2) is a user error with Spark's own
   * reason, not an internal failure.
   */
  private static SparkSession start(SparkSession.Builder builder) {
    try {
      return builder.getOrCreate();
    } catch (Exception e) { // Scala code throws SparkException undeclared
      if (e instanceof org.apache.spark.SparkException || e instanceof IllegalArgumentException) {
        String reason = e.getMessage() == null ? e.toString() : e.getMessage();
        throw EdlException.cannot(
            "start Spark",
            reason.lines().filter(l -> !l.isBlank()).findFirst().orElse(reason).strip(),
            "Fix the setting it names (--set, the config file, or the profile spark-submit used)");
      }
      throw e;
    }
  }

  /**
   * libtorch threads for work on the driver (training the student): the cores local mode runs on
   * ({@code local[N]}, all of the machine's for {@code local[*]}), else {@code spark.driver.cores}
   * (default 1), what YARN or Kubernetes granted the driver's container. The JVM's processor count
   * would be the whole node in a container without a CPU limit.
   */
  public static int driverThreads(SparkSession spark) {
    String master = spark.sparkContext().master();
    int machine = Runtime.getRuntime().availableProcessors();
    var local = java.util.regex.Pattern.compile("local\\[(\\d+|\\*)").matcher(master);
    if (master.equals("local")) {
      return 1;
    }
    if (local.lookingAt()) {
      return local.group(1).equals("*") ? machine : Integer.parseInt(local.group(1));
    }
    return Math.max(1, spark.sparkContext().getConf().getInt("spark.driver.cores", 1));
  }

  /**
   * The GPU address Spark assigned to the driver ({@code spark.driver.resource.gpu.*}), or null.
   */
  public static String driverGpu(SparkSession spark) {
    var gpu = spark.sparkContext().resources().get("gpu");
    return gpu.isEmpty() || gpu.get().addresses().length == 0 ? null : gpu.get().addresses()[0];
  }
}
