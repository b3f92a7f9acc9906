package io.edldist.jobs.chaos;

import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.ScenarioResult;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskKilled;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * f. The first attempt of three scoring tasks killed while it runs (Spark's {@code
 * killTaskAttempt}, which reschedules the task), as a flaky machine or a preempted container would;
 * the retries must give exactly the clean result. The faults come from a listener of this driver,
 * so nothing in the stage knows about them.
 */
public class TransientFailures extends SoftLabelScenario {
  private static final Set<Integer> PARTITIONS = Set.of(0, 3, 5);
  private static final long KILL_AFTER_MS = 150;

  @Override
  public String name() {
    return "transient-failures";
  }

  @Override
  public String fault() {
    return "first attempt of scoring tasks 0, 3 and 5 killed mid-task";
  }

  @Override
  public String why() {
    return "a failed task attempt is retried (up to `spark.task.maxFailures`), and only the attempt "
        + "the driver accepts has its files in the Delta commit";
  }

  @Override
  public ScenarioResult run(ChaosRun run) {
    Lake lake = run.freshLake(name(), false);
    SparkContext sc = lake.spark().sparkContext();
    Killer killer = new Killer(sc);
    sc.addSparkListener(killer);
    InferStage.Result r;
    try {
      r = new InferStage(lake, run.config(), ChaosRun.RUN_ID).execute();
    } finally {
      sc.removeSparkListener(killer);
      killer.timer.shutdownNow();
    }
    SoftLabelDiff.Counts c = check(run, lake);
    int killed = killer.killed.get();
    boolean passed = killed >= 1 && killer.retried.get() >= killed;
    return result(
        0,
        c,
        run.cleanInferSeconds(),
        r.seconds(),
        killer.retryMillis.get() / 1000.0,
        passed,
        String.format(
            Locale.ROOT,
            "%d task attempt(s) killed mid-task, %d retried attempt(s) succeeded (recovery: their"
                + " task time)",
            killed,
            killer.retried.get()));
  }

  /** Kills the first attempt of the chosen partitions of infer's scoring stages. */
  private static final class Killer extends SparkListener {
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final Set<Integer> scoringStages = ConcurrentHashMap.newKeySet();
    final AtomicInteger killed = new AtomicInteger();
    final AtomicInteger retried = new AtomicInteger();
    final java.util.concurrent.atomic.AtomicLong retryMillis =
        new java.util.concurrent.atomic.AtomicLong();
    private final SparkContext sc;

    Killer(SparkContext sc) {
      this.sc = sc;
    }

    @Override
    public void onJobStart(SparkListenerJobStart start) {
      InferWithKill.scoringStage(start).ifPresent(scoringStages::add);
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
      var info = start.taskInfo();
      if (scoringStages.contains(start.stageId())
          && info.attemptNumber() == 0
          && PARTITIONS.contains(info.partitionId())) {
        timer.schedule(
            () -> sc.killTaskAttempt(info.taskId(), true, "chaos: transient failure"),
            KILL_AFTER_MS,
            TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      if (!scoringStages.contains(end.stageId())) {
        return;
      }
      if (end.reason() instanceof TaskKilled) {
        killed.incrementAndGet();
      } else if (end.taskInfo().successful() && end.taskInfo().attemptNumber() > 0) {
        retried.incrementAndGet();
        retryMillis.addAndGet(end.taskInfo().duration());
      }
    }
  }
}
