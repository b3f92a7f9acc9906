package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edldist.jobs.cluster.JvmProcess;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.udfs.sql.EdlSparkSessionExtensions;
import io.edldist.udfs.sql.KdEntropy;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SQL functions in a session edl-dist did not build: a JVM whose classpath is a Spark 4.0.1
 * distribution's jars ({@code spark-dist}), the job jar and this module's test classes (for {@link
 * PlainSparkSql}), and whose session has only {@code spark.master} and {@code spark.sql.extensions}
 * (Delta's extension and ours, as a Zeppelin or spark-sql user sets them). The shared test session
 * cannot serve: extensions apply only to a session being built. One JVM runs every statement once.
 */
class ExtensionsIT {
  private static final List<String> STATEMENTS =
      List.of(
          "SELECT kd_argmax(array(1.0, 3.0, 2.0)) AS v",
          "SELECT kd_softmax(array(0.0, 0.0), 1.0) AS v",
          "SELECT kd_topk(array(0.1, 0.9, 0.5), 2) AS v",
          "SELECT kd_entropy(array(1.0, 1.0, 1.0, 1.0), 1.0) AS v",
          "SELECT kd_kl(array(1.0, 2.0, 3.0), array(1.0, 2.0, 3.0), 2.0) AS v",
          "SELECT kd_kl(array(5.0, 0.0), array(0.0, 5.0), 1.0) AS v",
          // rows scored in a task, through generated code
          "SELECT kd_argmax(array(CAST(id AS FLOAT), 1.5)) AS v FROM range(3) ORDER BY id",
          "SELECT kd_softmax(array(1.0), 0) AS v",
          "SELECT kd_topk(array(1.0, 2.0), 0) AS v",
          "SELECT kd_argmax() AS v",
          "DESCRIBE FUNCTION kd_entropy");
  private static Path work;
  private static JsonNode[] results;

  @BeforeAll
  static void runThePlainSession() throws Exception {
    work = Files.createTempDirectory("edl-dist-extensions-it");
    Path out = work.resolve("results.jsonl");
    Path log = work.resolve("spark.log");
    String classpath =
        String.join(
            File.pathSeparator,
            Files.readString(Path.of("../spark-dist/target/spark-classpath.txt")).strip(),
            Path.of("target/edl-dist.jar").toAbsolutePath().toString(),
            Path.of("target/test-classes").toAbsolutePath().toString());
    Process jvm =
        JvmProcess.of(PlainSparkSql.class.getName())
            .classpath(classpath)
            .heap("1g")
            .jvmOption("-Dspark.master=local[1]")
            .jvmOption(
                "-Dspark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension,"
                    + EdlSparkSessionExtensions.class.getName())
            .args(Stream.concat(Stream.of(out.toString()), STATEMENTS.stream()).toList())
            .start(log);
    boolean ended = jvm.waitFor(5, TimeUnit.MINUTES);
    if (!ended) {
      jvm.destroyForcibly();
    }
    String output = Files.readString(log);
    assertThat(ended).as("the session's JVM ended in 5 minutes:%n%s", output).isTrue();
    assertThat(jvm.exitValue()).as("exit code of the session's JVM:%n%s", output).isZero();
    List<String> lines = Files.readAllLines(out);
    assertThat(lines).hasSize(STATEMENTS.size());
    ObjectMapper json = new ObjectMapper();
    results = new JsonNode[lines.size()];
    for (int i = 0; i < lines.size(); i++) {
      results[i] = json.readTree(lines.get(i));
    }
  }

  @AfterAll
  static void deleteWork() throws Exception {
    LocalFiles.deleteTree(work);
  }

  @Test
  void everyFunctionGivesItsValue() {
    assertThat(value(0).asInt()).isEqualTo(1);
    assertThat(value(1).get(0).asDouble()).isCloseTo(0.5, within(1e-9));
    assertThat(value(1).get(1).asDouble()).isCloseTo(0.5, within(1e-9));
    assertThat(List.of(value(2).get(0).asInt(), value(2).get(1).asInt())).containsExactly(1, 2);
    assertThat(value(3).asDouble()).isCloseTo(Math.log(4), within(1e-6));
    assertThat(value(4).asDouble()).isCloseTo(0, within(1e-9));
    // p = softmax(5, 0), q = softmax(0, 5): KL = (p1 - p2) * (ln p1 - ln p2) = (p1 - p2) * 5
    double p1 = 1 / (1 + Math.exp(-5));
    assertThat(value(5).asDouble()).isCloseTo((2 * p1 - 1) * 5, within(1e-6));
  }

  @Test
  void rowsAreScoredInTasks() {
    assertThat(results[6]).hasSize(3);
    assertThat(results[6].findValuesAsText("v")).containsExactly("1", "1", "0");
  }

  @Test
  void badArgumentsAreEdlErrorsNamingTheCall() {
    assertThat(results[7].path("error").asText())
        .startsWith("Invalid kd_softmax temperature 0")
        .contains("greater than 0");
    assertThat(results[8].path("error").asText()).startsWith("Invalid kd_topk k 0");
    assertThat(results[9].path("error").asText())
        .startsWith("Invalid call of kd_argmax with 0 arguments")
        .contains("kd_argmax(logits)");
  }

  @Test
  void describeFunctionShowsTheSignature() {
    assertThat(results[10].findValuesAsText("function_desc"))
        .anyMatch(l -> l.contains("kd_entropy(logits ARRAY<FLOAT>, t DOUBLE) -> DOUBLE"))
        .anyMatch(l -> l.contains(KdEntropy.class.getName()));
  }

  private static JsonNode value(int statement) {
    assertThat(results[statement]).as(STATEMENTS.get(statement)).hasSize(1);
    return results[statement].get(0).get("v");
  }
}
