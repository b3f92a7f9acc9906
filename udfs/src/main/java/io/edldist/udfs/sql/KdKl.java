package io.edldist.udfs.sql;

import io.edldist.udfs.EdlException;
import io.edldist.udfs.kd.KdMath;
import org.apache.spark.sql.api.java.UDF3;

/**
 * {@code kd_kl(teacher_logits, student_logits, t)}: KL(softmax(teacher / t) || softmax(student /
 * t)) in nats, the soft term of the distillation loss before its t^2 factor; null for null input.
 */
public final class KdKl
    implements UDF3<scala.collection.Seq<Object>, scala.collection.Seq<Object>, Object, Double> {
  private static final long serialVersionUID = 1L;

  @Override
  public Double call(
      scala.collection.Seq<Object> teacher, scala.collection.Seq<Object> student, Object t) {
    if (teacher == null || student == null || t == null) {
      return null;
    }
    if (teacher.size() != student.size()) {
      throw EdlException.invalid(
          "kd_kl logits of " + teacher.size() + " and " + student.size() + " classes",
          "the teacher's and the student's logits must have one value per class each",
          "Compare logits of the same classes, e.g. two models of one soft_labels task");
    }
    return KdMath.kl(
        EdlFunctions.toFloats(teacher),
        EdlFunctions.toFloats(student),
        EdlFunctions.temperature("kd_kl", t));
  }
}
