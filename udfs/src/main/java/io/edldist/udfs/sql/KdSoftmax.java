package io.edldist.udfs.sql;

import io.edldist.udfs.EdlException;
import io.edldist.udfs.kd.KdMath;
import org.apache.spark.sql.api.java.UDF2;

/**
 * {@code kd_softmax(logits, t)}: softmax of logits / t; null for null input. A temperature that is
 * not above 0 is a user error naming the call.
 */
public final class KdSoftmax implements UDF2<scala.collection.Seq<Object>, Object, double[]> {
  private static final long serialVersionUID = 1L;

  @Override
  public double[] call(scala.collection.Seq<Object> logits, Object temperature) {
    if (logits == null || temperature == null) {
      return null;
    }
    double t = ((Number) temperature).doubleValue();
    if (!(t > 0) || Double.isInfinite(t)) {
      throw EdlException.invalid(
          "kd_softmax temperature " + temperature,
          "the temperature must be a number greater than 0",
          "Call kd_softmax(logits, t) with t > 0, e.g. kd_softmax(logits, 1.0)");
    }
    return KdMath.softmax(EdlFunctions.toFloats(logits), t);
  }
}
