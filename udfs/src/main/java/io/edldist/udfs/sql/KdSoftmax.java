package io.edldist.udfs.sql;

import io.edldist.udfs.kd.KdMath;
import org.apache.spark.sql.api.java.UDF2;

/** {@code kd_softmax(logits, t)}: softmax of logits / t; null for null input. */
public final class KdSoftmax implements UDF2<scala.collection.Seq<Object>, Object, double[]> {
  private static final long serialVersionUID = 1L;

  @Override
  public double[] call(scala.collection.Seq<Object> logits, Object temperature) {
    if (logits == null || temperature == null) {
      return null;
    }
    return KdMath.softmax(
        EdlFunctions.toFloats(logits), EdlFunctions.temperature("kd_softmax", temperature));
  }
}
