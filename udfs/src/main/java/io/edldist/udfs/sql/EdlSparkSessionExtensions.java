package io.edldist.udfs.sql;

import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.SparkSessionExtensionsProvider;
import scala.Tuple3;
import scala.runtime.BoxedUnit;

/**
 * edl-dist's SQL functions ({@link EdlFunctions#ALL}) in any Spark session, through Spark's
 * extension point rather than a call to {@link EdlFunctions#register}: a Zeppelin interpreter, the
 * spark-sql shell, the Thrift server or a plain {@code SparkSession} started with
 *
 * <pre>
 * spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension,io.edldist.udfs.sql.EdlSparkSessionExtensions
 * </pre>
 *
 * and the job jar on its classpath. Spark calls {@link #apply} once per session it builds, and the
 * functions join the session's function registry beside the built-in ones (sessions cloned from it
 * have them too). It costs nothing until a query calls one; each call is a row-at-a-time UDF with
 * no model behind it.
 */
public final class EdlSparkSessionExtensions implements SparkSessionExtensionsProvider {
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    for (SqlFunction f : EdlFunctions.ALL) {
      extensions.injectFunction(new Tuple3<>(f.identifier(), f.info(), f.builder()));
    }
    return BoxedUnit.UNIT;
  }
}
