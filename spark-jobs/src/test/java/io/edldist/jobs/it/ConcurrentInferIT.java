package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.cluster.JvmProcess;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.SoftLabels;
import io.edldist.jobs.teacher.TrainTeacherStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Two {@code edl-dist infer} runs of one teacher started at the same moment, each in its own JVM (a
 * scheduler's retry beside a manual run): neither may write a row twice. Each ends with exit 0, or
 * exit 2 and one line saying another run is writing; a third run then completes the table.
 */
class ConcurrentInferIT extends SparkTestBase {
  @Test
  void twoRunsAtOnceNeverDuplicateARow() throws Exception {
    Map<String, String> settings = slice();
    settings.put("teacher.epochs", "1");
    settings.put("infer.rows-per-commit", "200");
    settings.put("ingest.rows-per-file", "100");
    EdlConfig config = config(settings);
    new IngestStage(lake(), config).execute();
    String teacherId = new TrainTeacherStage(lake(), config, "it").execute().teacher().meta().id();

    List<String> args = new ArrayList<>();
    settings.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
    args.addAll(List.of("--set", "spark.master=local[1]", "infer"));
    Path logs = Files.createTempDirectory("edl-dist-concurrent-infer");
    List<Process> runs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      runs.add(
          JvmProcess.of("io.edldist.jobs.cli.Main")
              .args(args)
              .heap("1g")
              // the logging users get from bin/edl-dist, not the tests' own
              .jvmOption(
                  "-Dlog4j2.configurationFile="
                      + Path.of("../conf/log4j2.properties").toAbsolutePath().normalize())
              .env("SPARK_LOCAL_IP", "127.0.0.1")
              .start(logs.resolve("infer-" + i + ".log")));
    }
    int refused = 0;
    for (int i = 0; i < runs.size(); i++) {
      int exit = runs.get(i).waitFor();
      List<String> log = Files.readAllLines(logs.resolve("infer-" + i + ".log"));
      assertThat(exit).as("exit of run %d; its log: %s", i, log).isIn(0, 2);
      if (exit == 2) {
        refused++;
        assertThat(log).anyMatch(l -> l.contains("another infer of this teacher is writing"));
        assertThat(log)
            .as("the refusal is its one line, without Spark's log of the failed query before it")
            .noneMatch(l -> l.contains("terminated with error") || l.contains(" ERROR "));
      }
    }
    System.err.printf("ConcurrentInferIT: %d of 2 runs refused%n", refused);
    assertNoDuplicates(teacherId);

    long present = SoftLabels.count(lake(), teacherId);
    InferStage.Result last = new InferStage(lake(), config, "it").execute();
    assertThat(last.scored()).isEqualTo(TRAIN + TEST - present);
    assertNoDuplicates(teacherId);
    assertThat(SoftLabels.count(lake(), teacherId)).isEqualTo(TRAIN + TEST);
  }

  private static void assertNoDuplicates(String teacherId) {
    Row r =
        sql("SELECT count(*), count(DISTINCT id) FROM "
                + table("soft_labels")
                + " WHERE teacher_id = '"
                + teacherId
                + "'")
            .first();
    assertThat(r.getLong(0)).as("soft labels, duplicates included").isEqualTo(r.getLong(1));
  }
}
