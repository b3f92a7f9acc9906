package io.edldist.jobs.it;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.edldist.jobs.chaos.ChaosStage;
import io.edldist.jobs.cluster.ExecutorTimeline;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.train.TrainStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fault-tolerance and elasticity claims on a real standalone cluster: Master, two Workers and
 * their executors are separate JVMs; executors, a Worker and drivers are killed with SIGKILL. Each
 * test runs one {@link ChaosStage} scenario (the same code as {@code edl-dist chaos}) and checks
 * the result against the clean reference run by sample id.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosIT {
  private static Path work;
  private static ChaosStage chaos;
  private static long samples;

  @BeforeAll
  static void startCluster() throws Exception {
    assumeThat(Files.isDirectory(SparkTestBase.FASHION_MNIST))
        .as("needs dataset-fashion-mnist")
        .isTrue();
    work = Files.createTempDirectory("edl-dist-chaos-it");
    chaos =
        new ChaosStage(
                work, EdlConfig.load(null, Map.of("data", SparkTestBase.FASHION_MNIST.toString())))
            .start();
    samples = chaos.lake().read(Lake.SAMPLES).count();
    assertThat(samples).isEqualTo(7000);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (chaos != null) {
      chaos.close();
    }
    if (work != null) {
      LocalFiles.deleteTree(work);
    }
  }

  @Test
  @Order(1)
  void executorKilledMidInferLosesAndDuplicatesNothing() {
    ChaosStage.Scenario s = chaos.executorKill();
    assertExact(s, samples);
    assertThat(s.kills()).isEqualTo(1);
  }

  @Test
  @Order(2)
  void workerKilledWithItsExecutorsMidInferLosesAndDuplicatesNothing() {
    ChaosStage.Scenario s = chaos.workerKill();
    assertExact(s, samples);
    assertThat(s.kills()).as("the Worker and at least one executor").isGreaterThanOrEqualTo(2);
  }

  @Test
  @Order(3)
  void executorsThatCannotLoadTheTeacherFailTheJobAtTheFirstTask() {
    ChaosStage.Scenario s = chaos.brokenExecutors();
    assertThat(s.finding())
        .contains("exit 2")
        .contains("edl-dist: Cannot load teacher teacher@")
        .contains("/models/teacher/");
    assertThat(s.passed()).as(s.finding()).isTrue();
  }

  @Test
  @Order(4)
  void driverKilledMidInferThenRerunScoresOnlyWhatWasNotCommitted() {
    ChaosStage.Scenario s = chaos.driverKill();
    assertExact(s, samples);
    assertThat(s.finding()).containsPattern("re-run scored [\\d,]+ of 7,000 samples");
    assertThat(s.finding()).doesNotContain("scored 7,000 of");
  }

  @Test
  @Order(5)
  void trainKilledThenResumedLosesAtMostOneCheckpointInterval() {
    ChaosStage.Scenario s = chaos.trainKill();
    assertThat(s.passed()).as(s.finding()).isTrue();
  }

  @Test
  @Order(6)
  void transientTaskFailuresAreRetriedToAnExactResult() {
    ChaosStage.Scenario s = chaos.transientFailures();
    assertExact(s, samples);
    assertThat(s.finding()).matches("[3-9]\\d* failed task attempts.*");
  }

  @Test
  @Order(7)
  void strayParquetFileIsIgnoredByReadersAndRemovedByVacuum() {
    ChaosStage.Scenario s = chaos.strayFile();
    assertThat(s.passed()).as(s.finding()).isTrue();
    assertThat(s.rowsChecked()).isEqualTo(2 * samples);
  }

  @Test
  @Order(8)
  void poolGrowsWithTheBacklogAndIsReleasedWhileTheStudentTrains() {
    Lake lake = chaos.lake();
    // a backlog of its own: a full infer into a fresh table grows the pool to its maximum
    new InferStage(lake, chaos.config(), "chaos-elastic").table("elastic_soft_labels").execute();
    // the student's soft labels (a no-op when the scenarios before have written them)
    new InferStage(lake, chaos.config(), "chaos-elastic").execute();
    // 1.2 M samples: about 25 s on two free cores, so the pool's idle timeouts (5 s, 10 s with
    // cached blocks) pass while the driver trains, however fast the machine
    new TrainStage(
            lake,
            chaos.config().with(Map.of("train.mode", "kd", "train.epochs", "200")),
            "chaos-elastic")
        .execute();
    List<Row> points =
        lake.read(Lake.METRICS)
            .where(
                col("stage")
                    .equalTo(ExecutorTimeline.STAGE)
                    .and(col("name").equalTo(lake.spark().sparkContext().applicationId())))
            .select(col("step"), col("value"))
            .orderBy("step")
            .collectAsList();
    assertThat(points.stream().mapToDouble(r -> r.getDouble(1)).max().orElse(0)).isEqualTo(2);
    Row train =
        lake.read(Lake.METRICS)
            .where(col("run_id").equalTo("chaos-elastic").and(col("name").equalTo("seconds")))
            .select(col("ts").cast("double"), col("value"))
            .first();
    double end = train.getDouble(0) * 1000;
    double start = end - train.getDouble(1) * 1000;
    double during = Double.NaN;
    double minDuring = Double.MAX_VALUE;
    for (Row p : points) {
      double t = p.getLong(0);
      if (t <= start) {
        during = p.getDouble(1);
      } else if (t <= end) {
        minDuring = Math.min(minDuring, p.getDouble(1));
      }
    }
    minDuring = Math.min(minDuring, Double.isNaN(during) ? Double.MAX_VALUE : during);
    assertThat(minDuring).as("executors held at some point while the student trained").isZero();
  }

  private static void assertExact(ChaosStage.Scenario s, long samples) {
    assertThat(s.duplicates()).as("duplicates").isZero();
    assertThat(s.lost()).as("lost").isZero();
    assertThat(s.rowsChecked()).as("rows").isEqualTo(samples);
    assertThat(s.maxLogitDiff())
        .as("max logit difference to the clean run")
        .isLessThanOrEqualTo(1e-6);
    assertThat(s.passed()).as(s.finding()).isTrue();
  }
}
