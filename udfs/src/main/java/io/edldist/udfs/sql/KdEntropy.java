package io.edldist.udfs.sql;

import io.edldist.udfs.kd.KdMath;
import org.apache.spark.sql.api.java.UDF2;

/**
 * {@code kd_entropy(logits, t)}: entropy in nats of softmax(logits / t), how unsure the teacher is
 * about a sample (0 = certain, ln of the class count = no idea); null for null input.
 */
public final class KdEntropy implements UDF2<scala.collection.Seq<Object>, Object, Double> {
  private static final long serialVersionUID = 1L;

  @Override
  public Double call(scala.collection.Seq<Object> logits, Object temperature) {
    if (logits == null || logits.isEmpty() || temperature == null) {
      return null;
    }
    return KdMath.entropy(
        EdlFunctions.toFloats(logits), EdlFunctions.temperature("kd_entropy", temperature));
  }
}
