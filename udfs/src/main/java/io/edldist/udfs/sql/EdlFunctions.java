package io.edldist.udfs.sql;

import io.edldist.udfs.EdlException;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.types.DataTypes;

/**
 * The one list of edl-dist's SQL functions ({@link #ALL}) and the one place they are registered in
 * a session. After {@link #register}, or in any session started with {@link
 * EdlSparkSessionExtensions}, queries can say for example {@code SELECT avg(CAST(kd_argmax(logits)
 * = label AS INT)) FROM soft_labels}. A function is added here, and only here.
 *
 * <p>A temperature that is not above 0 is a user error naming the call.
 */
public final class EdlFunctions {
  /** Every function, with its signature and description as {@code DESCRIBE FUNCTION} shows it. */
  public static final List<SqlFunction> ALL =
      List.of(
          new SqlFunction(
              "kd_argmax",
              new KdArgmax(),
              DataTypes.IntegerType,
              "logits ARRAY<FLOAT>",
              "the predicted class, the index of the largest logit (null for an empty array)"),
          new SqlFunction(
              "kd_softmax",
              new KdSoftmax(),
              DataTypes.createArrayType(DataTypes.DoubleType, false),
              "logits ARRAY<FLOAT>, t DOUBLE",
              "the probabilities softmax(logits / t) at temperature t > 0"),
          new SqlFunction(
              "kd_topk",
              new KdTopK(),
              DataTypes.createArrayType(DataTypes.IntegerType, false),
              "logits ARRAY<FLOAT>, k INT",
              "the k classes with the largest logits, most likely first"),
          new SqlFunction(
              "kd_entropy",
              new KdEntropy(),
              DataTypes.DoubleType,
              "logits ARRAY<FLOAT>, t DOUBLE",
              "the entropy in nats of softmax(logits / t): 0 when certain, ln(classes) when"
                  + " uniform"),
          new SqlFunction(
              "kd_kl",
              new KdKl(),
              DataTypes.DoubleType,
              "teacher ARRAY<FLOAT>, student ARRAY<FLOAT>, t DOUBLE",
              "KL(softmax(teacher / t) || softmax(student / t)) in nats, the soft term of the"
                  + " distillation loss before its t^2 factor"));

  private EdlFunctions() {}

  /** Registers every function in this session (and sessions cloned from it later). */
  public static void register(SparkSession spark) {
    FunctionRegistry registry =
        ((org.apache.spark.sql.classic.SparkSession) spark).sessionState().functionRegistry();
    for (SqlFunction f : ALL) {
      registry.registerFunction(f.identifier(), f.info(), f.builder());
    }
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
