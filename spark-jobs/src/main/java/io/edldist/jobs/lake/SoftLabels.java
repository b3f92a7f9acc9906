package io.edldist.jobs.lake;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;

import io.edldist.udfs.EdlException;
import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code soft_labels} table: {@code id, split, label, logits, teacher_id}, partitioned by
 * {@code teacher_id}. It holds no copy of the features: readers that need them join {@code samples}
 * by id ({@link #withSamples}).
 *
 * <p>The join: a soft label is {@code id} plus one float per class, a sample is its features (784
 * bytes for Fashion-MNIST, about 110 KB for a 224x224 JPEG). The small side is the one that moves.
 * Where the result is collected to the driver anyway (the in-memory training path, test sets), the
 * soft labels are broadcast and {@code samples} is scanned once, in place, with no shuffle. On the
 * streaming path the join is Spark's sort-merge join, done once per training and kept on the
 * executors' disks (see {@code TrainingData}).
 *
 * <p>Tables written by versions that copied the features into {@code soft_labels} are read as they
 * are (readers select only {@code id} and {@code logits}); the next {@code infer} rewrites them
 * without the copies ({@link #prepare}).
 */
public final class SoftLabels {
  public static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("split", DataTypes.StringType, false)
          .add("label", DataTypes.IntegerType, false)
          .add("logits", DataTypes.createArrayType(DataTypes.FloatType, false), false)
          .add("teacher_id", DataTypes.StringType, false);

  private SoftLabels() {}

  /** One teacher's soft labels ({@code id, split, label, logits}); empty when there are none. */
  public static Dataset<Row> of(Lake lake, String teacherId, boolean pinned) {
    if (!lake.hasTable(Lake.SOFT_LABELS)) {
      return lake.spark().createDataFrame(java.util.List.of(), SCHEMA).drop("teacher_id");
    }
    Dataset<Row> table = pinned ? lake.readPinned(Lake.SOFT_LABELS) : lake.read(Lake.SOFT_LABELS);
    return table
        .where(col("teacher_id").equalTo(teacherId))
        .select("id", "split", "label", "logits");
  }

  /**
   * Another writer creating the table at the same moment makes this create fail while its first
   * commit lands: wait a few seconds for that commit, else rethrow.
   */
  private static void awaitCreatedByAnother(Lake lake, Exception failure) {
    for (int i = 0; i < 50; i++) {
      if (lake.hasTable(Lake.SOFT_LABELS)) {
        return;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw EdlException.cannot(
        "create table " + lake.path(Lake.SOFT_LABELS),
        failure,
        "If that folder holds something other than a Delta table, move it away");
  }

  /** The table's Delta id: a table deleted and made again has a new one. */
  public static String tableId(Lake lake) {
    return lake.spark()
        .sql("DESCRIBE DETAIL delta.`" + lake.path(Lake.SOFT_LABELS) + "`")
        .select("id")
        .first()
        .getString(0);
  }

  /** How many soft labels the teacher has (from Delta's file statistics, no data scan). */
  public static long count(Lake lake, String teacherId) {
    return of(lake, teacherId, false).count();
  }

  /**
   * One teacher's soft labels of one split with their samples' features: {@code id, label,
   * features, logits}, only the samples that have a soft label.
   *
   * @param broadcastSoftLabels true where the result goes to the driver anyway (see class comment)
   */
  public static Dataset<Row> withSamples(
      Lake lake, String teacherId, String split, boolean pinned, boolean broadcastSoftLabels) {
    Dataset<Row> soft =
        of(lake, teacherId, pinned).where(col("split").equalTo(split)).select("id", "logits");
    Dataset<Row> samples =
        (pinned ? lake.readPinned(Lake.SAMPLES) : lake.read(Lake.SAMPLES))
            .where(col("split").equalTo(split))
            .select("id", "label", "features");
    return samples
        .join(broadcastSoftLabels ? broadcast(soft) : soft, "id")
        .select("id", "label", "features", "logits");
  }

  /**
   * Makes the table ready for an append: creates it when absent (two writers creating it at once
   * both succeed) and rewrites a table of the older layout, which copied each sample's features,
   * without them.
   */
  public static void prepare(Lake lake) {
    String path = lake.path(Lake.SOFT_LABELS);
    if (!lake.hasTable(Lake.SOFT_LABELS)) {
      try {
        lake.spark()
            .sql(
                "CREATE TABLE IF NOT EXISTS delta.`"
                    + path
                    + "` (id BIGINT NOT NULL, split STRING NOT NULL, label INT NOT NULL,"
                    + " logits ARRAY<FLOAT> NOT NULL, teacher_id STRING NOT NULL)"
                    + " USING delta PARTITIONED BY (teacher_id)");
      } catch (Exception e) { // Spark throws its checked AnalysisException undeclared
        awaitCreatedByAnother(lake, e);
      }
      return;
    }
    Dataset<Row> table = lake.read(Lake.SOFT_LABELS);
    if (!Arrays.asList(table.columns()).contains("features")) {
      return;
    }
    long rows = table.count();
    try {
      table
          .select("id", "split", "label", "logits", "teacher_id")
          .write()
          .format("delta")
          .mode("overwrite")
          .option("overwriteSchema", "true")
          .partitionBy("teacher_id")
          .save(path);
    } catch (RuntimeException e) {
      throw EdlException.cannot(
          "migrate " + path + " to the layout without features",
          e,
          "Run infer again; the table is unchanged unless the rewrite committed");
    }
    System.err.printf(
        "infer: rewrote soft_labels without its copies of the features (%,d rows, same"
            + " logits)%n",
        rows);
  }
}
