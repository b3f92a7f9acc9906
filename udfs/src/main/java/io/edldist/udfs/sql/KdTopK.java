package io.edldist.udfs.sql;

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
    return KdMath.topK(EdlFunctions.toFloats(logits), ((Number) k).intValue());
  }
}
