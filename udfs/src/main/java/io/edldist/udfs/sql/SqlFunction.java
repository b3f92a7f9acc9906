package io.edldist.udfs.sql;

import io.edldist.udfs.EdlException;
import java.io.Serializable;
import java.util.Collections;
import java.util.concurrent.Callable;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.expressions.ScalaUDF;
import org.apache.spark.sql.types.DataType;
import scala.Function1;
import scala.Function2;
import scala.Function3;
import scala.Option;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * One edl-dist SQL function: its name, its Java UDF ({@code UDF1} to {@code UDF3}), its return type
 * and the text {@code DESCRIBE FUNCTION} shows. {@link EdlFunctions#ALL} lists them all.
 *
 * <p>A call becomes the Catalyst expression Spark's own {@code spark.udf().register(name, udf,
 * type)} builds for a Java UDF: a {@link ScalaUDF} over the UDF seen as a Scala function, without
 * input encoders (Spark hands the UDF Java and Scala values: {@code scala.collection.Seq} for
 * arrays) and with the declared return type. So a function registered in a session ({@link
 * EdlFunctions#register}) and one injected by {@link EdlSparkSessionExtensions} plan, run and fail
 * alike: an {@link EdlException} a UDF throws reaches the user as the cause of Spark's
 * FAILED_EXECUTE_UDF error. The UDF object is shared by every call and shipped to executors with
 * the plan, so it must be stateless.
 *
 * @param name the SQL name, e.g. {@code kd_softmax}
 * @param udf the function, an instance of {@code UDF1}, {@code UDF2} or {@code UDF3}
 * @param returnType what it returns
 * @param arguments its arguments as {@code DESCRIBE FUNCTION} shows them, e.g. {@code logits
 *     ARRAY<FLOAT>, t DOUBLE}
 * @param description what it returns, in a sentence
 */
public record SqlFunction(
    String name, Serializable udf, DataType returnType, String arguments, String description) {

  public SqlFunction {
    arity(udf);
  }

  public FunctionIdentifier identifier() {
    return new FunctionIdentifier(name);
  }

  /** What {@code DESCRIBE FUNCTION} shows: the signature and the description. */
  public ExpressionInfo info() {
    String usage =
        name + "(" + arguments + ") -> " + returnType.sql() + " - Returns " + description + ".";
    return new ExpressionInfo(
        udf.getClass().getName(), null, name, usage, "", "", "", "", "", "", "java_udf");
  }

  /** Builds the expression of a call; the function registries of Spark call it per call site. */
  public Function1<Seq<Expression>, Expression> builder() {
    return this::expression;
  }

  /** The expression of a call with these arguments. */
  public Expression expression(Seq<Expression> children) {
    int arity = arity(udf);
    if (children.size() != arity) {
      throw EdlException.invalid(
          "call of "
              + name
              + " with "
              + children.size()
              + (children.size() == 1 ? " argument" : " arguments"),
          name + " takes " + arity + " (" + arguments + ")",
          "Call " + name + "(" + arguments.replaceAll(" [A-Z<>]+", "") + ")");
    }
    Seq<Option<ExpressionEncoder<?>>> noEncoders =
        CollectionConverters.asScala(
                Collections.nCopies(arity, Option.<ExpressionEncoder<?>>empty()))
            .toList();
    return new ScalaUDF(
        asScala(udf),
        returnType,
        children,
        noEncoders,
        Option.empty(),
        Option.apply(name),
        true,
        true);
  }

  private static int arity(Object udf) {
    if (udf instanceof UDF1) {
      return 1;
    } else if (udf instanceof UDF2) {
      return 2;
    } else if (udf instanceof UDF3) {
      return 3;
    }
    throw new IllegalArgumentException("not a UDF1, UDF2 or UDF3: " + udf.getClass());
  }

  /** The UDF as the Scala function ScalaUDF calls (as Spark's ToScalaUDF wraps a Java UDF). */
  @SuppressWarnings("unchecked")
  private static Object asScala(Object udf) {
    if (udf instanceof UDF1) {
      UDF1<Object, Object> f = (UDF1<Object, Object>) udf;
      return (Function1<Object, Object> & Serializable) a -> call(() -> f.call(a));
    } else if (udf instanceof UDF2) {
      UDF2<Object, Object, Object> f = (UDF2<Object, Object, Object>) udf;
      return (Function2<Object, Object, Object> & Serializable) (a, b) -> call(() -> f.call(a, b));
    }
    UDF3<Object, Object, Object, Object> f = (UDF3<Object, Object, Object, Object>) udf;
    return (Function3<Object, Object, Object, Object> & Serializable)
        (a, b, c) -> call(() -> f.call(a, b, c));
  }

  /** Runs a UDF's call, which Java declares may throw any exception; ours throw unchecked ones. */
  private static Object call(Callable<Object> udfCall) {
    try {
      return udfCall.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
