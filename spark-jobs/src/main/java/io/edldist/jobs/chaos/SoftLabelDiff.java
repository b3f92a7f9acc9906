package io.edldist.jobs.chaos;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.max;

import io.edldist.jobs.lake.Lake;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The one comparison every chaos scenario makes: a lake's {@code soft_labels} for the teacher
 * against the clean reference run's, by sample id. Four small aggregations over the two tables:
 * rows, rows minus distinct ids (duplicates), reference ids missing (lost), ids the reference does
 * not have (extra), and the largest absolute difference of any logit of a shared id.
 */
public final class SoftLabelDiff {
  /** Logits of the same sample from the same teacher may differ by this much and still match. */
  public static final double LOGIT_TOLERANCE = 1e-6;

  /** The comparison's counts. */
  public record Counts(long rows, long duplicates, long lost, long extra, double maxLogitDiff) {
    /** Every reference id exactly once, nothing else, every logit equal. */
    public boolean exact() {
      return duplicates == 0 && lost == 0 && extra == 0 && maxLogitDiff <= LOGIT_TOLERANCE;
    }
  }

  private SoftLabelDiff() {}

  public static Counts compare(Lake lake, Lake reference, String teacherId) {
    Dataset<Row> got = logits(lake, teacherId).withColumnRenamed("logits", "got");
    Dataset<Row> ref = logits(reference, teacherId).withColumnRenamed("logits", "ref");
    long rows = got.count();
    long distinct = got.select("id").distinct().count();
    long lost = ref.join(got, ref.col("id").equalTo(got.col("id")), "left_anti").count();
    long extra = got.join(ref, got.col("id").equalTo(ref.col("id")), "left_anti").count();
    Row diff =
        got.join(ref, "id")
            .select(
                expr("aggregate(zip_with(got, ref, (x, y) -> abs(x - y)), 0D,"
                        + " (a, v) -> greatest(a, v))")
                    .as("d"))
            .agg(max("d"))
            .first();
    double maxDiff = diff.isNullAt(0) ? 0 : diff.getDouble(0);
    return new Counts(rows, rows - distinct, lost, extra, maxDiff);
  }

  private static Dataset<Row> logits(Lake lake, String teacherId) {
    if (!lake.hasTable(Lake.SOFT_LABELS)) {
      return lake.spark().sql("SELECT CAST(NULL AS BIGINT) AS id, array(1.0f) AS logits LIMIT 0");
    }
    return lake.read(Lake.SOFT_LABELS)
        .where(col("teacher_id").equalTo(teacherId))
        .select(col("id"), col("logits"));
  }
}
