package io.edldist.jobs.infer;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.Metrics;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.lake.SoftLabels;
import io.edldist.jobs.runtime.FailFast;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.infer.PartitionPredictor;
import io.edldist.udfs.model.ModelBundle;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.util.CollectionAccumulator;
import scala.Option;

/**
 * The teacher stage: scores every sample that has no soft label yet for this teacher and appends
 * {@code id, split, label, logits, teacher_id} to {@code soft_labels}.
 *
 * <p>One pass, exactly once: a Structured Streaming query over {@code samples} (Delta source,
 * {@code availableNow} trigger, one checkpoint per teacher and samples version under {@code
 * streams/infer/}). Each micro-batch is about {@code infer.rows-per-commit} rows (whole files of
 * {@code samples}); {@code foreachBatch} scores it with {@code mapPartitions} and {@link
 * PartitionPredictor} (teacher broadcast once, loaded once per executor JVM) and appends it in one
 * Delta commit tagged with the query id and batch id ({@code txnAppId}, {@code txnVersion}). The
 * source reads each file once, so the cost is linear in the backlog; a killed run resumes from its
 * checkpoint, and a batch that had committed before the kill is skipped by Delta when replayed, so
 * no row is written twice. Samples appended to the table later are scored by the next run only.
 *
 * <p>Two runs of one teacher at once share the checkpoint: a batch both write commits once (Delta
 * refuses the second commit of the same transaction), and the run that finds the next batch taken
 * stops with one line (exit 2), keeping what it committed. A new soft_labels table, or samples
 * replaced by a new ingest, start a new checkpoint; soft labels already present for the teacher are
 * then filtered out by id, so nothing is scored twice either. (Rows deleted by hand from a table
 * whose checkpoint remains are not scored again: delete {@code streams/infer/<teacher>} too.)
 *
 * <p>The teacher is loaded and tried on the driver first, so a broken model fails in seconds with
 * one clear error. A batch is shuffled only when it has fewer partitions than the cluster has task
 * slots.
 */
public final class InferStage {
  /** What the stage did. */
  public record Result(
      String teacherId, long scored, long alreadyPresent, long total, int commits, double seconds) {
    public double samplesPerSecond() {
      return seconds > 0 ? scored / seconds : 0;
    }
  }

  private static final String PARQUET_DICTIONARY = "parquet.enable.dictionary";
  private static final String QUERY_ID = "sql.streaming.queryId";
  private static final String SCORED_UP_TO = "_edl_scored_up_to";
  private static final String FILTERED = "_edl_filtered";

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
    SoftLabels.prepare(lake);

    long total = lake.read(Lake.SAMPLES).count();
    long before = SoftLabels.count(lake, teacherId);
    String checkpoint = checkpoint(teacherId, meta);
    // the samples version the last complete pass started from: unchanged, nothing is new
    long samplesVersion = lake.version(Lake.SAMPLES);
    String scoredUpTo = checkpoint + "/" + SCORED_UP_TO;
    if (before > 0
        && lake.readIfExists(scoredUpTo)
            .map(v -> v.equals(Long.toString(samplesVersion)))
            .orElse(false)) {
      return finish(start, teacherId, 0, before, total, 0, List.of());
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(lake.spark().sparkContext());
    Broadcast<ModelBundle> model = jsc.broadcast(teacher);
    CollectionAccumulator<String> assignments =
        lake.spark().sparkContext().collectionAccumulator("infer assigned GPUs");
    PartitionPredictor predictor =
        PartitionPredictor.builder(model)
            .setFeatures(features)
            .setBatchSize(config.get(EdlConfig.INFER_BATCH_SIZE))
            .optThreads(Integer.parseInt(lake.spark().conf().get("spark.task.cpus", "1")))
            .optSource(lake.path(store.folder(teacher.meta())))
            .optDevice(config.get(EdlConfig.INFER_DEVICE))
            .optAssignments(assignments)
            .build();
    Map<String, Option<String>> saved = setForTheStage(lake.spark().conf());
    AtomicInteger commits = new AtomicInteger();
    Broadcast<long[]> done = null;
    try (FailFast failFast = FailFast.watch(lake.spark().sparkContext(), "infer")) {
      // a pass that starts beside soft labels it did not write skips their ids, and so does
      // every run that resumes it, until it completes (a replayed batch must be filtered too)
      String filtered = checkpoint + "/" + FILTERED;
      if (before > 0 && (!lake.exists(checkpoint) || lake.exists(filtered))) {
        lake.writeString(filtered, teacherId);
        done = jsc.broadcast(doneIds(teacherId));
      }
      try {
        run(checkpoint, teacherId, total, predictor, done, commits, failFast);
      } catch (SamplesRewritten e) {
        System.err.println(
            "infer: samples was rewritten in place since the last infer; starting a new pass that"
                + " skips the samples already scored");
        lake.delete(checkpoint);
        lake.writeString(filtered, teacherId);
        if (done != null) {
          done.destroy();
        }
        done = jsc.broadcast(doneIds(teacherId));
        run(checkpoint, teacherId, total, predictor, done, commits, failFast);
      }
      lake.writeString(scoredUpTo, Long.toString(samplesVersion));
      lake.delete(filtered);
    } finally {
      model.destroy();
      if (done != null) {
        done.destroy();
      }
      saved.forEach(
          (key, value) -> {
            if (value.isDefined()) {
              lake.spark().conf().set(key, value.get());
            } else {
              lake.spark().conf().unset(key);
            }
          });
    }
    long scored = SoftLabels.count(lake, teacherId) - before;
    return finish(start, teacherId, scored, before, total, commits.get(), assignments.value());
  }

  /** Records the run in {@code metrics}. */
  private Result finish(
      long start,
      String teacherId,
      long scored,
      long before,
      long total,
      int commits,
      List<String> assignments) {
    double seconds = (System.nanoTime() - start) / 1e9;
    Metrics metrics = new Metrics(runId, "infer");
    metrics.add("rows_scored", scored);
    metrics.add("rows_already_present", before);
    metrics.add("seconds", seconds);
    metrics.add("samples_per_second", seconds > 0 ? scored / seconds : 0);
    for (String a : assignments) {
      // one row per task: the GPU address Spark assigned to it (-1: none), step = partition
      String[] partitionAndAddress = a.split(":");
      metrics.add(
          "assigned_gpu",
          Double.parseDouble(partitionAndAddress[1]),
          Long.parseLong(partitionAndAddress[0]));
    }
    metrics.flush(lake);
    return new Result(teacherId, scored, before, total, commits, seconds);
  }

  /**
   * The streaming query: {@code samples} in batches of whole files, each scored and appended once.
   */
  private void run(
      String checkpoint,
      String teacherId,
      long samples,
      PartitionPredictor predictor,
      Broadcast<long[]> done,
      AtomicInteger commits,
      FailFast failFast) {
    int slots = config.get(EdlConfig.INFER_PARTITIONS);
    int partitions = slots == 0 ? lake.spark().sparkContext().defaultParallelism() : slots;
    String table = lake.path(Lake.SOFT_LABELS);
    VoidFunction2<Dataset<Row>, Long> writeBatch =
        (batch, batchId) -> {
          failFast.join();
          Dataset<Row> rows = done == null ? batch : batch.filter(notIn(done));
          if (rows.rdd().getNumPartitions() < partitions) {
            rows = rows.repartition(partitions);
          }
          String queryId = batch.sparkSession().sparkContext().getLocalProperty(QUERY_ID);
          batch
              .sparkSession()
              .sparkContext()
              .setJobDescription("infer " + teacherId + " batch " + batchId);
          rows.mapPartitions(predictor, Encoders.row(SoftLabels.SCHEMA))
              .write()
              .format("delta")
              .mode("append")
              .option("txnAppId", "edl-dist-infer-" + queryId)
              .option("txnVersion", batchId)
              .partitionBy("teacher_id")
              .save(table);
          System.err.printf(
              Locale.ROOT,
              "infer: committed batch %d (%d this run)%n",
              batchId,
              commits.incrementAndGet());
        };
    StreamingQuery query;
    try {
      query =
          lake.spark()
              .readStream()
              .format("delta")
              .option("maxFilesPerTrigger", filesPerCommit(partitions, samples))
              .load(lake.path(Lake.SAMPLES))
              .select("id", "split", "label", "features")
              .writeStream()
              .trigger(Trigger.AvailableNow())
              .option("checkpointLocation", lake.path(checkpoint))
              .foreachBatch(writeBatch)
              .start();
      query.awaitTermination();
    } catch (Exception e) { // start() fails too when another run created the checkpoint first
      failFast.rethrowUserError(e);
      throw failure(e, teacherId, checkpoint);
    }
  }

  /** The Delta source met a commit that changed rows in place (a replace of {@code samples}). */
  private static final class SamplesRewritten extends RuntimeException {
    SamplesRewritten(Throwable cause) {
      super(cause);
    }
  }

  /**
   * Session settings for the stage's query, set before it starts (a query copies the session's
   * conf) and restored after; returns the previous values.
   *
   * <ul>
   *   <li>No Parquet dictionaries: logits are high-cardinality, and Parquet would build a
   *       dictionary per column chunk, then drop it (in one profile its hash map was the hottest
   *       frame of the write). Delta passes no DataFrameWriter option to Parquet but compression
   *       and maxRecordsPerFile; the session's SQL conf does reach the write's Hadoop conf.
   *   <li>One task per file of {@code samples}: Spark packs small files into partitions by size, so
   *       a batch's task count would not follow its file count; with an open cost larger than any
   *       split, every file is a task of its own, and a batch's files are a multiple of the slots
   *       ({@link #filesPerCommit}).
   *   <li>On an object store, the checkpoint is written through Hadoop's FileSystem API: Spark's
   *       default (FileContext) creates the checkpoint's first file without its parent folder,
   *       which S3A refuses because an object store has no folders.
   * </ul>
   */
  private Map<String, Option<String>> setForTheStage(RuntimeConfig conf) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put(PARQUET_DICTIONARY, "false");
    settings.put("spark.sql.files.openCostInBytes", Long.toString(1L << 40));
    String scheme = new org.apache.hadoop.fs.Path(lake.root()).toUri().getScheme();
    if (scheme != null && !List.of("file", "hdfs", "viewfs").contains(scheme)) {
      settings.put(
          "spark.sql.streaming.checkpointFileManagerClass",
          "org.apache.spark.sql.execution.streaming.FileSystemBasedCheckpointFileManager");
    }
    Map<String, Option<String>> saved = new LinkedHashMap<>();
    settings.forEach(
        (key, value) -> {
          saved.put(key, conf.getOption(key));
          conf.set(key, value);
        });
    return saved;
  }

  /**
   * Files of {@code samples} per batch: about {@code infer.rows-per-commit} rows; from one file per
   * slot up, a multiple of the task slots, so that the tasks of a batch finish together.
   */
  private int filesPerCommit(int slots, long samples) {
    List<Row> detail =
        lake.spark()
            .sql("DESCRIBE DETAIL delta.`" + lake.path(Lake.SAMPLES) + "`")
            .select("numFiles")
            .collectAsList();
    long files = Math.max(1, detail.get(0).getLong(0));
    double rowsPerFile = Math.max(1.0, (double) samples / files);
    long per = Math.max(1, Math.round(config.get(EdlConfig.INFER_ROWS_PER_COMMIT) / rowsPerFile));
    if (per >= slots) {
      per = Math.round((double) per / slots) * slots;
    }
    return (int) Math.min(Integer.MAX_VALUE, per);
  }

  /**
   * The checkpoint of this teacher over this {@code samples} (its source fingerprint) and this
   * {@code soft_labels} table (its Delta table id): a new ingest, or a soft_labels table deleted
   * and made again, starts a new one, and the checkpoints of older ones are deleted.
   */
  private String checkpoint(String teacherId, SamplesMeta meta) {
    String folder = "streams/infer/" + teacherId;
    String current = hash(meta.source() + "|" + SoftLabels.tableId(lake));
    for (String old : lake.list(folder)) {
      if (!old.equals(current)) {
        lake.delete(folder + "/" + old);
      }
    }
    return folder + "/" + current;
  }

  private long[] doneIds(String teacherId) {
    long[] ids =
        SoftLabels.of(lake, teacherId, false)
            .select("id")
            .as(Encoders.LONG())
            .collectAsList()
            .stream()
            .mapToLong(Long::longValue)
            .sorted()
            .toArray();
    System.err.printf(
        Locale.ROOT,
        "infer: %,d samples already have soft labels of %s; they are skipped%n",
        ids.length,
        teacherId);
    return ids;
  }

  private static FilterFunction<Row> notIn(Broadcast<long[]> done) {
    return row -> java.util.Arrays.binarySearch(done.value(), row.getLong(0)) < 0;
  }

  /** A query failure as the user should see it. */
  private RuntimeException failure(Exception e, String teacherId, String checkpoint) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof EdlException edl) {
        return edl;
      }
      if (String.valueOf(t.getMessage()).contains("DELTA_SOURCE_TABLE_IGNORE_CHANGES")) {
        return new SamplesRewritten(e);
      }
      String name = t.getClass().getSimpleName();
      String message = String.valueOf(t.getMessage());
      if (name.startsWith("Concurrent") // Delta's commit conflicts, Spark's checkpoint races
          || name.equals("FileAlreadyExistsException")
          || name.equals("ProtocolChangedException")
          || message.contains("[CONCURRENT_")) {
        return EdlException.cannot(
            "infer with teacher " + teacherId,
            "another infer of this teacher is writing soft_labels at the same time ("
                + lake.path(checkpoint)
                + "); what both committed is kept, once",
            "Wait for the other run to end, then run infer again to score anything left");
      }
    }
    if (!(e instanceof StreamingQueryException) && e instanceof RuntimeException r) {
      return r;
    }
    return e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e);
  }

  private static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
