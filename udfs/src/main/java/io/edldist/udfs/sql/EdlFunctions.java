package io.edldist.udfs.sql;

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
 * </ul>
 */
public final class EdlFunctions {
  private EdlFunctions() {}

  public static void register(SparkSession spark) {
    var udf = spark.udf();
    udf.register("kd_argmax", new KdArgmax(), DataTypes.IntegerType);
    udf.register(
        "kd_softmax", new KdSoftmax(), DataTypes.createArrayType(DataTypes.DoubleType, false));
    udf.register("kd_topk", new KdTopK(), DataTypes.createArrayType(DataTypes.IntegerType, false));
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
