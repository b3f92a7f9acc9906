package io.edldist.jobs.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import io.edldist.jobs.cluster.FailFast;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.Metrics;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.infer.PartitionPredictor;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.ModelMeta;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
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
  private String table = Lake.SOFT_LABELS;

  public InferStage(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  /** Writes to another table than {@code soft_labels} (the benchmark uses a scratch table). */
  public InferStage table(String name) {
    this.table = name;
    return this;
  }

  /**
   * The teacher to use: a TorchScript file when teacher.path is set (checked, then imported into
   * the model store), else the latest version in the store.
   */
  public static ModelBundle teacher(Lake lake, EdlConfig config) {
    ModelStore store = new ModelStore(lake);
    String name = config.get(EdlConfig.TEACHER_NAME);
    String path = config.get(EdlConfig.TEACHER_PATH);
    if (path.isEmpty()) {
      return store.latestOrFail(name, "edl-dist train-teacher");
    }
    Path file = Path.of(path);
    if (!Files.isRegularFile(file)) {
      throw EdlException.invalid(
          "teacher.path " + path,
          "no such file",
          "Point it at a TorchScript file saved with torch.jit.trace(...).save(...)");
    }
    Features features = IngestStage.features(lake);
    ModelBundle bundle;
    try {
      bundle =
          ModelBundle.ofTorchScript(
              name, Files.readAllBytes(file), features.shape(), IngestStage.classes(lake));
    } catch (IOException e) {
      throw EdlException.cannot("read teacher " + path, e, "Check the file's permissions");
    }
    checkTeacher(bundle, features);
    return store.save(bundle);
  }

  public Result execute() {
    long start = System.nanoTime();
    ModelBundle teacher = teacher(lake, config);
    Features features = IngestStage.features(lake);
    checkTeacher(teacher, features);
    String teacherId = teacher.meta().id();

    Dataset<Row> samples = lake.read(Lake.SAMPLES).select("id", "split", "label", "features");
    long total = samples.count();
    Dataset<Row> pending = samples;
    if (lake.hasTable(table)) {
      Dataset<Row> done = lake.read(table).where(col("teacher_id").equalTo(teacherId)).select("id");
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
    PartitionPredictor predictor =
        new PartitionPredictor(
                broadcast,
                lake.path(new ModelStore(lake).folder(teacher.meta())),
                features,
                config.get(EdlConfig.INFER_BATCH_SIZE),
                threads)
            .failFirstAttempt(partitionSet(config.get(EdlConfig.CHAOS_FAIL_PARTITIONS)));
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
              .save(lake.path(table));
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
    metrics.flush(lake);
    return new Result(teacherId, missing, total - missing, total, commits, seconds);
  }

  private static java.util.Set<Integer> partitionSet(String list) {
    java.util.Set<Integer> out = new java.util.HashSet<>();
    for (String p : list.split(",")) {
      if (!p.isBlank()) {
        try {
          out.add(Integer.parseInt(p.strip()));
        } catch (NumberFormatException e) {
          throw EdlException.invalid(
              "chaos.fail-partitions " + list, "not a list of partition numbers", "Use e.g. 0,3");
        }
      }
    }
    return out;
  }

  /** Loads the teacher here and runs one sample through it: fails fast with a clear error. */
  static void checkTeacher(ModelBundle teacher, Features features) {
    ModelMeta meta = teacher.meta();
    if (ModelMeta.DJL.equals(meta.format())
        && !Arrays.equals(meta.inputShape(), features.shape())) {
      throw EdlException.invalid(
          "teacher " + meta.id(),
          "it takes samples of shape "
              + Arrays.toString(meta.inputShape())
              + " but samples holds "
              + Arrays.toString(features.shape()),
          "Train a teacher on this data (edl-dist train-teacher) or ingest matching data");
    }
    var model = ModelCache.get(teacher);
    try (var p = model.newPredictor(new io.edldist.udfs.infer.BatchTranslator())) {
      float[] out =
          p.predict(
              new io.edldist.udfs.infer.BatchTranslator.Batch(
                  new float[features.size()], 1, features.longShape()));
      if (out.length != meta.classes()) {
        throw EdlException.invalid(
            "teacher " + meta.id(),
            "it returns "
                + out.length
                + " values per sample but the data has "
                + meta.classes()
                + " classes",
            "Use a teacher trained for these classes");
      }
    } catch (ai.djl.translate.TranslateException | RuntimeException e) {
      if (e instanceof EdlException ee) {
        throw ee;
      }
      throw EdlException.cannot(
          "run teacher "
              + meta.id()
              + " on one sample of shape "
              + Arrays.toString(features.shape()),
          e,
          "Check that the teacher takes float input [batch, "
              + features.shapeString()
              + "] scaled to [0, 1]");
    }
  }
}
