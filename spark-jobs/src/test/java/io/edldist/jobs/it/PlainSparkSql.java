package io.edldist.jobs.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The JVM of {@link ExtensionsIT}: a plain {@code SparkSession} configured only by the {@code
 * spark.*} system properties it was started with, as a notebook or the spark-sql shell would build
 * it. Runs each statement of its arguments after the first and writes one JSON line per statement
 * to the file the first names: its rows as JSON objects, or {@code {"error": …}} with the message
 * of the edl-dist error that failed it (of the outermost error when there is none).
 */
final class PlainSparkSql {
  private PlainSparkSql() {}

  public static void main(String[] args) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> out = new ArrayList<>();
    try (SparkSession spark = SparkSession.builder().getOrCreate()) {
      for (String statement : List.of(args).subList(1, args.length)) {
        try {
          out.add("[" + String.join(",", spark.sql(statement).toJSON().collectAsList()) + "]");
        } catch (Exception e) { // Spark's errors include its checked SparkException
          out.add(json.writeValueAsString(Map.of("error", edlMessage(e))));
        }
      }
    }
    Files.write(Path.of(args[0]), out);
  }

  private static String edlMessage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getClass().getName().equals("io.edldist.udfs.EdlException")) {
        return t.getMessage();
      }
    }
    return String.valueOf(e.getMessage());
  }
}
