package io.edldist.udfs.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.edldist.udfs.EdlException;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/** The expressions the registry builds, evaluated without a Spark session. */
class SqlFunctionTest {
  @Test
  void namesAreUniqueAndDescribed() {
    assertThat(EdlFunctions.ALL.stream().map(SqlFunction::name))
        .containsExactly("kd_argmax", "kd_softmax", "kd_topk", "kd_entropy", "kd_kl")
        .doesNotHaveDuplicates();
    assertThat(function("kd_kl").info().getUsage())
        .startsWith("kd_kl(teacher ARRAY<FLOAT>, student ARRAY<FLOAT>, t DOUBLE) -> DOUBLE - ");
    assertThat(function("kd_kl").info().getClassName()).isEqualTo(KdKl.class.getName());
  }

  @Test
  void aCallEvaluatesItsUdf() {
    Expression argmax = call("kd_argmax", logits(1, 3, 2));
    assertThat(argmax.dataType()).isEqualTo(DataTypes.IntegerType);
    assertThat(argmax.eval(null)).isEqualTo(1);
    double[] softmax =
        ((ArrayData)
                call("kd_softmax", logits(0, 0), Literal.create(1.0, DataTypes.DoubleType))
                    .eval(null))
            .toDoubleArray();
    assertThat(softmax).containsExactly(0.5, 0.5);
    assertThat(
            (double)
                call("kd_entropy", logits(1, 1, 1, 1), Literal.create(2.0, DataTypes.DoubleType))
                    .eval(null))
        .isCloseTo(Math.log(4), within(1e-9));
  }

  @Test
  void badArgumentsAreEdlErrors() {
    assertThatThrownBy(() -> call("kd_softmax", logits(1)))
        .isInstanceOf(EdlException.class)
        .hasMessage(
            "Invalid call of kd_softmax with 1 argument: kd_softmax takes 2 (logits ARRAY<FLOAT>, t"
                + " DOUBLE). Call kd_softmax(logits, t)");
    assertThatThrownBy(
            () ->
                call("kd_topk", logits(1, 2), Literal.create(0, DataTypes.IntegerType)).eval(null))
        .hasRootCauseInstanceOf(EdlException.class)
        .rootCause()
        .hasMessageStartingWith("Invalid kd_topk k 0");
  }

  private static SqlFunction function(String name) {
    return EdlFunctions.ALL.stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow();
  }

  private static Expression call(String name, Expression... args) {
    return function(name).expression(CollectionConverters.asScala(List.of(args)).toList());
  }

  private static Literal logits(float... values) {
    return Literal.create(values, DataTypes.createArrayType(DataTypes.FloatType));
  }
}
