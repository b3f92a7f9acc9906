package io.edldist.jobs.it;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.chaos.BrokenExecutors;
import io.edldist.jobs.chaos.ChaosRun;
import io.edldist.jobs.chaos.DriverKill;
import io.edldist.jobs.chaos.ExecutorKill;
import io.edldist.jobs.chaos.StrayFile;
import io.edldist.jobs.chaos.TrainKill;
import io.edldist.jobs.chaos.TransientFailures;
import io.edldist.jobs.chaos.WorkerKill;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.results.ScenarioResult;
import io.edldist.jobs.runtime.ExecutorTimeline;
import io.edldist.jobs.testdata.SyntheticImages;
import io.edldist.jobs.train.TrainStage;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * test runs one scenario class (the same code as {@code edl-dist chaos}) and checks its verdict and
 * what it measured; the last tests damage a run on purpose and show that the matching scenario
 * fails. Scenarios work in lakes of their own, so the tests may run in any order; the order below
 * only keeps the report readable.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosIT {
  private static final int TRAIN = 6000;
  private static final int TEST = 1000;
  private static Path work;
  private static ChaosRun chaos;

  @BeforeAll
  static void startCluster() throws Exception {
    work = Files.createTempDirectory("edl-dist-chaos-it");
    Path data = SyntheticImages.write(work.resolve("data"), TRAIN, TEST);
    chaos = new ChaosRun(work, EdlConfig.load(null, Map.of("data", data.toString()))).start();
    assertThat(chaos.reference().read(Lake.SAMPLES).count()).isEqualTo(TRAIN + TEST);
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
    ScenarioResult s = chaos.run(new ExecutorKill());
    assertExact(s);
    assertThat(s.kills()).isEqualTo(1);
    assertThat(s.finding())
        .as("a task lost with the executor and run again")
        .containsPattern(" [1-9]\\d* of them succeeded on a later attempt;");
  }

  @Test
  @Order(2)
  void workerKilledWithItsExecutorsMidInferLosesAndDuplicatesNothing() {
    ScenarioResult s = chaos.run(new WorkerKill());
    assertExact(s);
    assertThat(s.kills()).as("the Worker and at least one executor").isGreaterThanOrEqualTo(2);
    assertThat(s.finding())
        .as("a task lost with the Worker's executor and run again")
        .containsPattern(" [1-9]\\d* of them succeeded on a later attempt;");
  }

  @Test
  @Order(3)
  void executorsThatCannotLoadTheTeacherFailTheJobAtTheFirstTask() {
    ScenarioResult s = chaos.run(new BrokenExecutors());
    assertThat(s.finding())
        .contains("exit 2")
        .contains("edl-dist: Cannot load teacher teacher@")
        .contains("/models/teacher/")
        .contains(" 0 soft-label rows written");
    assertThat(s.passed()).as(s.finding()).isTrue();
    assertThat(s.rowsChecked()).as("no table to compare").isNull();
  }

  @Test
  @Order(4)
  void driverKilledMidInferThenRerunScoresOnlyWhatWasNotCommitted() {
    ScenarioResult s = chaos.run(new DriverKill());
    assertExact(s);
    assertThat(s.finding()).contains("exactly the ones missing").doesNotContain("scored 7,000 of");
  }

  @Test
  @Order(5)
  void trainKilledThenResumedFromTheNewestCheckpointEndsWithTheSameWeights() {
    ScenarioResult s = chaos.run(new TrainKill());
    assertThat(s.passed()).as(s.finding()).isTrue();
    assertThat(s.finding()).contains("largest weight difference to the uninterrupted run 0.0e+00");
  }

  @Test
  @Order(6)
  void killedTaskAttemptsAreRetriedToAnExactResult() {
    ScenarioResult s = chaos.run(new TransientFailures());
    assertExact(s);
    assertThat(s.finding()).matches("[1-9]\\d* task attempt\\(s\\) killed mid-task.*");
  }

  @Test
  @Order(7)
  void strayParquetFileIsIgnoredByReadersAndRemovedByVacuum() {
    ScenarioResult s = chaos.run(new StrayFile());
    assertExact(s);
  }

  @Test
  @Order(8)
  void aDroppedSoftLabelFailsTheCheck() {
    ScenarioResult s =
        chaos.run(
            new StrayFile() {
              @Override
              protected void beforeCheck(Lake lake) {
                sql(lake, "DELETE FROM %s WHERE id = 17");
              }
            });
    assertThat(s.passed()).isFalse();
    assertThat(s.lost()).isEqualTo(1);
    assertThat(s.duplicates()).isZero();
  }

  @Test
  @Order(9)
  void aDuplicatedSoftLabelFailsTheCheck() {
    ScenarioResult s =
        chaos.run(
            new StrayFile() {
              @Override
              protected void beforeCheck(Lake lake) {
                sql(lake, "INSERT INTO %1$s SELECT * FROM %1$s WHERE id = 17");
              }
            });
    assertThat(s.passed()).isFalse();
    assertThat(s.duplicates()).isEqualTo(1);
    assertThat(s.lost()).isZero();
  }

  @Test
  @Order(10)
  void aChangedLogitFailsTheCheck() {
    ScenarioResult s =
        chaos.run(
            new StrayFile() {
              @Override
              protected void beforeCheck(Lake lake) {
                sql(
                    lake,
                    "UPDATE %s SET logits = transform(logits, (x, i) -> IF(i = 3, x + 0.5F, x))"
                        + " WHERE id = 17");
              }
            });
    assertThat(s.passed()).isFalse();
    assertThat(s.maxLogitDiff()).isCloseTo(0.5, org.assertj.core.api.Assertions.within(1e-4));
    assertThat(s.lost()).isZero();
    assertThat(s.duplicates()).isZero();
  }

  @Test
  @Order(11)
  void resumingFromAnotherRunsCheckpointFailsTheCheck() {
    ScenarioResult s =
        chaos.run(
            new TrainKill() {
              @Override
              protected void beforeResume(Lake lake, Path checkpoints) {
                // another run of the same settings, stopped at its first checkpoint, takes the
                // killed run's place
                Map<String, String> other =
                    Map.of(
                        "run.id", "other-run",
                        "train.mode", "kd",
                        "train.epochs", "5",
                        "train.checkpoint-every", "20");
                try {
                  new TrainStage(lake, chaos.config().with(other), "other-run")
                      .listener(
                          p -> {
                            if (p.step() == 21) {
                              throw new IllegalStateException("stopped");
                            }
                          })
                      .execute();
                } catch (IllegalStateException expected) {
                  // the other run's checkpoint at step 20 is left
                }
                try {
                  LocalFiles.deleteTree(checkpoints);
                  LocalFiles.copyTree(
                      Path.of(lake.path("checkpoints/other-run/student-kd")), checkpoints);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }
            });
    assertThat(s.passed()).as(s.finding()).isFalse();
    assertThat(s.finding()).contains("resumed from step 20,");
  }

  @Test
  @Order(12)
  void poolGrowsWithTheBacklogAndIsReleasedWhileTheStudentTrains() {
    Lake lake = chaos.freshLake("elastic", false);
    // a backlog of its own: a full infer grows the pool to its maximum
    long inferStart = System.currentTimeMillis();
    new InferStage(lake, chaos.config(), "chaos-elastic").execute();
    long inferEnd = System.currentTimeMillis();
    // 1.2 M samples: long enough on two free cores that the pool's idle timeouts (5 s, 10 s with
    // cached blocks) pass while the driver trains, however fast the machine
    new TrainStage(
            lake,
            chaos.config().with(Map.of("train.mode", "kd", "train.epochs", "200")),
            "chaos-elastic")
        .execute();
    Row train =
        lake.read(Lake.METRICS)
            .where(
                col("run_id")
                    .equalTo("chaos-elastic")
                    .and(col("stage").equalTo("train-kd"))
                    .and(col("name").equalTo("seconds")))
            .select(col("ts").cast("double"), col("value"))
            .first();
    long trainEnd = (long) (train.getDouble(0) * 1000);
    long trainStart = trainEnd - (long) (train.getDouble(1) * 1000);
    // executor counts of this driver over the whole run (every lake's metrics hold a part)
    List<Row> points =
        chaos
            .metrics()
            .where(
                col("stage")
                    .equalTo(ExecutorTimeline.STAGE)
                    .and(col("name").equalTo(lake.spark().sparkContext().applicationId())))
            .select(col("step"), col("value"))
            .orderBy("step")
            .collectAsList();
    assertThat(extreme(points, inferStart, inferEnd, true))
        .as("most executors held while infer ran")
        .isEqualTo(2);
    assertThat(extreme(points, trainStart, trainEnd, false))
        .as("fewest executors held while the student trained")
        .isZero();
  }

  /** The largest (or smallest) executor count held at any time in [from, to]. */
  private static double extreme(List<Row> points, long from, long to, boolean largest) {
    double held = 0;
    double best = Double.NaN;
    for (Row p : points) {
      long t = p.getLong(0);
      if (t > to) {
        break;
      }
      if (t > from && Double.isNaN(best)) {
        best = held;
      }
      held = p.getDouble(1);
      if (t > from) {
        best = largest ? Math.max(best, held) : Math.min(best, held);
      }
    }
    return Double.isNaN(best) ? held : largest ? Math.max(best, held) : Math.min(best, held);
  }

  private static void sql(Lake lake, String statement) {
    lake.spark().sql(String.format(statement, "delta.`" + lake.path(Lake.SOFT_LABELS) + "`"));
  }

  private static void assertExact(ScenarioResult s) {
    assertThat(s.duplicates()).as("duplicates").isZero();
    assertThat(s.lost()).as("lost").isZero();
    assertThat(s.rowsChecked()).as("rows").isEqualTo(TRAIN + TEST);
    assertThat(s.maxLogitDiff())
        .as("max logit difference to the clean run")
        .isLessThanOrEqualTo(1e-6);
    assertThat(s.passed()).as(s.finding()).isTrue();
  }
}
