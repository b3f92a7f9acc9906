package io.edldist.udfs.sql;

import io.edldist.udfs.EdlException;
import io.edldist.udfs.kd.KdMath;
import org.apache.spark.sql.api.java.UDF2;

/** {@code kd_topk(logits, k)}: the k classes with the largest logits, most likely first. */
public final class KdTopK implements UDF2<scala.collection.Seq<Object>, Object, int[]> {
  private static final long serialVersionUID = 1L;

  @Override
  public int[] call(scala.collection.Seq<Object> logits, Object k) {
    if (logits == null || k == null) {
      return null;
    }
    int n = ((Number) k).intValue();
    if (n < 1) {
      throw EdlException.invalid(
          "kd_topk k " + k,
          "k must be a whole number of 1 or more",
          "Call kd_topk(logits, k) with k >= 1, e.g. kd_topk(logits, 3)");
    }
    return KdMath.topK(EdlFunctions.toFloats(logits), n);
  }
}
