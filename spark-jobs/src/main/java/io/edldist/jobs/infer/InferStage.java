package io.edldist.jobs.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.Metrics;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.runtime.FailFast;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.infer.PartitionPredictor;
import io.edldist.udfs.model.ModelBundle;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import scala.Option;

/**
 * The teacher stage: scores every sample that has no soft label yet for this teacher and appends
 * the logits to {@code soft_labels}.
 *
 * <p>Work: an anti-join of {@code samples} with the ids already in {@code soft_labels} for this
 * {@code teacher_id}, split by {@code pmod(xxhash64(id), k)} into k chunks of about {@code
 * infer.rows-per-commit} rows. Each chunk is one Spark job: {@code mapPartitions} with {@link
 * PartitionPredictor} (teacher broadcast once, loaded once per executor JVM, batched forward) and
 * one Delta append. Chunks are disjoint and each commit is atomic, so a crash loses at most the
 * chunks in flight, a re-run scores exactly the ids still missing, and no (id, teacher_id) is ever
 * written twice by one writer. The teacher is loaded and tried on the driver first, so a broken
 * model fails in seconds with one clear error. A chunk is shuffled only when its scan has fewer
 * partitions than the cluster has task slots.
 */
public final class InferStage {
  public static final StructType SCHEMA_SUFFIX =
      new StructType()
          .add("logits", DataTypes.createArrayType(DataTypes.FloatType, false), false)
          .add("teacher_id", DataTypes.StringType, false);

  /** What the stage did. */
  public record Result(
      String teacherId, long scored, long alreadyPresent, long total, int commits, double seconds) {
    public double samplesPerSecond() {
      return seconds > 0 ? scored / seconds : 0;
    }
  }

  private static final String PARQUET_DICTIONARY = "parquet.enable.dictionary";

  private final Lake lake;
  private final EdlConfig config;
  private final String runId;

  public InferStage(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  public Result execute() {
    long start = System.nanoTime();
    SamplesMeta meta = SamplesMeta.of(lake);
    Features features = meta.features();
    ModelStore store = new ModelStore(lake);
    ModelBundle teacher =
        store.teacher(config.get(EdlConfig.TEACHER_NAME), config.get(EdlConfig.TEACHER_PATH), meta);
    ModelStore.check(teacher, features);
    store.save(teacher);
    String teacherId = teacher.meta().id();

    Dataset<Row> samples = lake.read(Lake.SAMPLES).select("id", "split", "label", "features");
    long total = samples.count();
    Dataset<Row> pending = samples;
    if (lake.hasTable(Lake.SOFT_LABELS)) {
      Dataset<Row> done =
          lake.read(Lake.SOFT_LABELS).where(col("teacher_id").equalTo(teacherId)).select("id");
      pending = samples.join(done, samples.col("id").equalTo(done.col("id")), "left_anti");
    }
    long missing = pending == samples ? total : pending.count();
    int commits =
        missing == 0
            ? 0
            : (int) Math.ceil((double) missing / config.get(EdlConfig.INFER_ROWS_PER_COMMIT));
    int threads = Integer.parseInt(lake.spark().conf().get("spark.task.cpus", "1"));
    StructType schema = samples.schema();
    for (var f : SCHEMA_SUFFIX.fields()) {
      schema = schema.add(f);
    }
    int partitions = config.get(EdlConfig.INFER_PARTITIONS);
    if (partitions == 0) {
      partitions = lake.spark().sparkContext().defaultParallelism();
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(lake.spark().sparkContext());
    Broadcast<ModelBundle> broadcast = jsc.broadcast(teacher);
    CollectionAccumulator<String> assignments =
        lake.spark().sparkContext().collectionAccumulator("infer assigned GPUs");
    PartitionPredictor predictor =
        PartitionPredictor.builder(broadcast)
            .setFeatures(features)
            .setBatchSize(config.get(EdlConfig.INFER_BATCH_SIZE))
            .optThreads(threads)
            .optSource(lake.path(store.folder(teacher.meta())))
            .optDevice(config.get(EdlConfig.INFER_DEVICE))
            .optAssignments(assignments)
            .build();
    // Logits and pixels are high-cardinality: Parquet would build a dictionary per column chunk,
    // then drop it (in one profile its hash map was the hottest frame of the write). Delta passes
    // no DataFrameWriter option to Parquet but compression and maxRecordsPerFile; the session's
    // SQL conf does reach the write's Hadoop conf, so it is set for the stage and restored after.
    RuntimeConfig sessionConf = lake.spark().conf();
    Option<String> dictionary = sessionConf.getOption(PARQUET_DICTIONARY);
    sessionConf.set(PARQUET_DICTIONARY, "false");
    try (FailFast failFast = FailFast.watch(lake.spark().sparkContext(), "infer")) {
      for (int c = 0; c < commits; c++) {
        Dataset<Row> chunk =
            commits == 1
                ? pending
                : pending.where(pmod(xxhash64(col("id")), lit(commits)).equalTo(c));
        if (chunk.rdd().getNumPartitions() < partitions) {
          chunk = chunk.repartition(partitions);
        }
        lake.spark()
            .sparkContext()
            .setJobDescription("infer " + teacherId + " chunk " + (c + 1) + "/" + commits);
        try {
          chunk
              .mapPartitions(predictor, Encoders.row(schema))
              .write()
              .format("delta")
              .mode("append")
              .partitionBy("teacher_id")
              .save(lake.path(Lake.SOFT_LABELS));
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
          failFast.rethrowUserError(e);
          throw e;
        }
        if (commits > 1) {
          System.err.printf("infer: committed chunk %d/%d%n", c + 1, commits);
        }
      }
    } finally {
      broadcast.destroy();
      if (dictionary.isDefined()) {
        sessionConf.set(PARQUET_DICTIONARY, dictionary.get());
      } else {
        sessionConf.unset(PARQUET_DICTIONARY);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Metrics metrics = new Metrics(runId, "infer");
    metrics.add("rows_scored", missing);
    metrics.add("rows_already_present", total - missing);
    metrics.add("seconds", seconds);
    metrics.add("samples_per_second", seconds > 0 ? missing / seconds : 0);
    for (String a : assignments.value()) {
      // one row per task: the GPU address Spark assigned to it (-1: none), step = partition
      String[] partitionAndAddress = a.split(":");
      metrics.add(
          "assigned_gpu",
          Double.parseDouble(partitionAndAddress[1]),
          Long.parseLong(partitionAndAddress[0]));
    }
    metrics.flush(lake);
    return new Result(teacherId, missing, total - missing, total, commits, seconds);
  }
}
