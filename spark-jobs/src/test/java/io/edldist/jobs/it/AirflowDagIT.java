package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edldist.jobs.testdata.SyntheticImages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code conf/airflow/edl_dist_dag.py} loaded over a stand-in for the {@code airflow} modules
 * (Airflow cannot be installed here) and its tasks run one after the other as a worker runs them:
 * each starts {@code bin/edl-dist submit --target local} as a process, from a folder that is not
 * the repository, on a lake that starts empty. What the stand-in does not do (scheduling, retries,
 * Param validation) is Airflow's and is not tested.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AirflowDagIT {
  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  private static final Path DAG = HOME.resolve("conf/airflow/edl_dist_dag.py");
  private static final Path DRIVER =
      HOME.resolve("spark-jobs/src/test/python/airflow_dag_driver.py");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Path work;
  private static Path lake;
  private static Path data;

  /** What a run of the driver printed: one "task ID: ..." line per task run, and the task log. */
  record Run(int code, String out) {
    List<String> verdicts() {
      return out.lines().filter(l -> l.startsWith("task ")).toList();
    }
  }

  @BeforeAll
  static void emptyLake() throws IOException {
    work = Files.createTempDirectory("edl-dist-airflow");
    lake = work.resolve("lake");
    data = SyntheticImages.write(work.resolve("data"), 1200, 400);
  }

  @Test
  @Order(1)
  void sixTasksOneAfterTheOtherOneRunAtATime() throws Exception {
    JsonNode dag = JSON.readTree(driver("shape").out());
    List<String> order = new ArrayList<>();
    dag.get("order").forEach(t -> order.add(t.asText()));
    assertThat(order)
        .containsExactly("ingest", "teacher", "infer", "train_kd", "train_baseline", "evaluate");
    for (int i = 0; i < order.size(); i++) {
      JsonNode upstream = dag.at("/tasks/" + order.get(i));
      assertThat(upstream.size()).as(order.get(i)).isEqualTo(i == 0 ? 0 : 1);
      if (i > 0) {
        assertThat(upstream.get(0).asText()).isEqualTo(order.get(i - 1));
      }
    }
    assertThat(dag.get("max_active_runs").asInt()).isEqualTo(1);
    assertThat(dag.get("retries").asInt()).isPositive();
    assertThat(dag.at("/params/target").asText()).isEqualTo("yarn");
  }

  @Test
  @Order(2)
  void aRunWithoutALakeOrDataFailsItsFirstTaskWithOneLineAndNoRetry() throws Exception {
    Run noLake = run("manual__no-lake", Map.of(), Map.of());
    assertThat(noLake.code()).isEqualTo(1);
    assertThat(noLake.verdicts())
        .containsExactly(
            "task ingest: failed, not retried: Cannot run edl-dist: no lake given. Trigger the DAG"
                + " with conf {\"lake\": \"s3a://bucket/edl-dist\"} or set the Airflow Variable"
                + " edl_dist_lake");
    Run noData =
        run("manual__no-data", Map.of("target", "local"), Map.of("edl_dist_lake", lake.toString()));
    assertThat(noData.verdicts()).hasSize(1);
    assertThat(noData.verdicts().get(0))
        .startsWith("task ingest: failed, not retried: Cannot run edl-dist: no data given.")
        .endsWith("edl_dist_data");
    assertThat(lake).doesNotExist();
  }

  @Test
  @Order(3)
  void aSettingEdlDistRefusesFailsTheTaskWithItsLineAndNoRetry() throws Exception {
    Run run =
        run(
            "manual__bad-setting",
            Map.of(
                "lake", lake.toString(),
                "data", data.toString(),
                "target", "local",
                "settings", Map.of("train.epochz", 3)),
            Map.of());
    assertThat(run.code()).isEqualTo(1);
    assertThat(run.verdicts()).hasSize(1);
    assertThat(run.verdicts().get(0))
        .startsWith("task ingest: failed, not retried: edl-dist ingest exited with 2, not retried:")
        .contains("edl-dist: ", "train.epochz");
    assertThat(lake.resolve("samples")).doesNotExist();
  }

  @Test
  @Order(4)
  void aKilledTaskStopsItsDriverAndIsRetried() throws Exception {
    Run run =
        driver(
            "kill",
            "manual__killed",
            JSON.writeValueAsString(
                Map.of(
                    "lake", work.resolve("killed-lake").toString(),
                    "data", data.toString(),
                    "target", "local")),
            "{}",
            "ingest",
            "8");
    assertThat(run.verdicts())
        .as(run.out())
        .singleElement()
        .asString()
        .startsWith("task ingest: failed, retried: edl-dist ingest exited with ");
    assertThat(run.out()).contains("process group left: no");
  }

  @Test
  @Order(5)
  void aScheduledRunOnAnEmptyLakeEndsInAReportAndARerunKeepsItsTeacher() throws Exception {
    Map<String, Object> conf =
        Map.of(
            "target",
            "local",
            "settings",
            Map.of(
                "spark.master", "local[2]",
                "spark.ui.enabled", "false",
                "spark.sql.shuffle.partitions", "4",
                "teacher.epochs", "2",
                "train.epochs", "1",
                "infer.rows-per-commit", "400"));
    Map<String, String> variables =
        Map.of("edl_dist_lake", lake.toString(), "edl_dist_data", data.toString());
    String runId = "scheduled__2026-12-04T00:00:00+00:00";
    Run run = run(runId, conf, variables);
    assertThat(run.verdicts())
        .as(run.out())
        .containsExactly(
            "task ingest: success",
            "task teacher: success",
            "task infer: success",
            "task train_kd: success",
            "task train_baseline: success",
            "task evaluate: success");
    assertThat(run.code()).isZero();
    // the run id with '-' for ':' and '+': one report folder for the DAG run's six tasks
    Path report = lake.resolve("reports/scheduled__2026-12-04T00-00-00-00-00");
    assertThat(report.resolve("report.md")).exists();
    JsonNode summary = JSON.readTree(report.resolve("summary.json").toFile());
    assertThat(summary.at("/soft_labels/rows").asLong()).isEqualTo(1600);
    assertThat(summary.at("/student_kd/test_accuracy").isNumber()).isTrue();
    assertThat(summary.at("/student_baseline/test_accuracy").isNumber()).isTrue();
    assertThat(summary.at("/timings_s/infer").isNumber()).as("infer's timing in the run").isTrue();
    String teacher = summary.at("/teacher/id").asText();
    assertThat(teacher).isNotEmpty();

    Run again = run("scheduled__2026-12-05T00:00:00+00:00", conf, variables, "teacher");
    assertThat(again.verdicts()).containsExactly("task teacher: success");
    assertThat(again.out()).contains("train-teacher: " + teacher + " reused from the model store");
  }

  private static Run run(
      String runId, Map<String, ?> conf, Map<String, String> variables, String... tasks)
      throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "run", runId, JSON.writeValueAsString(conf), JSON.writeValueAsString(variables)));
    if (tasks.length > 0) {
      args.add(String.join(",", tasks));
    }
    return driver(args.toArray(String[]::new));
  }

  /** Runs the driver with python3 from a folder outside the repository, EDL_DIST_HOME set. */
  private static Run driver(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("python3", DRIVER.toString(), DAG.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile());
    pb.environment().put("EDL_DIST_HOME", HOME.toString());
    pb.environment().remove("SPARK_HOME");
    pb.redirectErrorStream(true);
    Path out = Files.createTempFile(work, "driver", ".txt");
    pb.redirectOutput(out.toFile());
    Process p = pb.start();
    if (!p.waitFor(20, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("the driver did not end in 20 minutes: " + Files.readString(out));
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }
}
