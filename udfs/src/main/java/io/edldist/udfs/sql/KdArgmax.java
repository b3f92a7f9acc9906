package io.edldist.udfs.sql;

import io.edldist.udfs.kd.KdMath;
import org.apache.spark.sql.api.java.UDF1;

/** {@code kd_argmax(logits)}: index of the largest logit; null for a null or empty array. */
public final class KdArgmax implements UDF1<scala.collection.Seq<Object>, Integer> {
  private static final long serialVersionUID = 1L;

  @Override
  public Integer call(scala.collection.Seq<Object> logits) {
    if (logits == null || logits.isEmpty()) {
      return null;
    }
    return KdMath.argmax(EdlFunctions.toFloats(logits));
  }
}
