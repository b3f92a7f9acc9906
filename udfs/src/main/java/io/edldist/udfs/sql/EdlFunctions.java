package io.edldist.udfs.sql;

import io.edldist.udfs.EdlException;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * The one place edl-dist's SQL functions are registered. After {@link #register}, queries can say
 * for example {@code SELECT avg(CAST(kd_argmax(logits) = label AS INT)) FROM soft_labels}.
 *
 * <ul>
 *   <li>{@code kd_argmax(logits ARRAY<FLOAT>) -> INT}: the predicted class.
 *   <li>{@code kd_softmax(logits ARRAY<FLOAT>, t DOUBLE) -> ARRAY<DOUBLE>}: probabilities at
 *       temperature t.
 *   <li>{@code kd_topk(logits ARRAY<FLOAT>, k INT) -> ARRAY<INT>}: the k most likely classes.
 *   <li>{@code kd_entropy(logits ARRAY<FLOAT>, t DOUBLE) -> DOUBLE}: entropy of the softmax at
 *       temperature t, in nats.
 *   <li>{@code kd_kl(teacher ARRAY<FLOAT>, student ARRAY<FLOAT>, t DOUBLE) -> DOUBLE}: KL(teacher
 *       || student) of their softmaxes at temperature t, in nats.
 * </ul>
 *
 * <p>A temperature that is not above 0 is a user error naming the call.
 */
public final class EdlFunctions {
  private EdlFunctions() {}

  public static void register(SparkSession spark) {
    var udf = spark.udf();
    udf.register("kd_argmax", new KdArgmax(), DataTypes.IntegerType);
    udf.register(
        "kd_softmax", new KdSoftmax(), DataTypes.createArrayType(DataTypes.DoubleType, false));
    udf.register("kd_topk", new KdTopK(), DataTypes.createArrayType(DataTypes.IntegerType, false));
    udf.register("kd_entropy", new KdEntropy(), DataTypes.DoubleType);
    udf.register("kd_kl", new KdKl(), DataTypes.DoubleType);
  }

  /** The temperature argument of {@code function}, checked to be a number above 0. */
  static double temperature(String function, Object value) {
    double t = ((Number) value).doubleValue();
    if (!(t > 0) || Double.isInfinite(t)) {
      throw EdlException.invalid(
          function + " temperature " + value,
          "the temperature must be a number greater than 0",
          "Pass t > 0 as the temperature, e.g. 1.0");
    }
    return t;
  }

  static float[] toFloats(scala.collection.Seq<Object> values) {
    float[] out = new float[values.size()];
    var it = values.iterator();
    for (int i = 0; it.hasNext(); i++) {
      out[i] = ((Number) it.next()).floatValue();
    }
    return out;
  }
}
