package io.edldist.jobs.chaos;

import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.ScenarioResult;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Runs {@code infer} in this driver and kills processes of the cluster once two scoring tasks have
 * finished; the job must still end with every sample scored exactly once, as in the clean run.
 */
abstract class InferWithKill extends SoftLabelScenario {
  /** Kills; returns how many processes died. */
  abstract int kill(ChaosRun run);

  /** After the job: put the cluster back as it was. */
  void restore(ChaosRun run) {}

  @Override
  public ScenarioResult run(ChaosRun run) {
    Lake lake = run.freshLake(name(), false);
    SparkContext sc = lake.spark().sparkContext();
    ScoringTasks tasks = new ScoringTasks();
    long started = System.nanoTime();
    sc.addSparkListener(tasks);
    InferStage.Result r;
    int kills = 0;
    int finishedAtKill;
    long killedAt;
    try {
      CompletableFuture<InferStage.Result> infer =
          CompletableFuture.supplyAsync(
              () -> {
                SparkSession.setActiveSession(lake.spark());
                return new InferStage(lake, run.config(), ChaosRun.RUN_ID).execute();
              });
      ChaosRun.await(() -> tasks.finished.get() >= 2 || infer.isDone(), "two scoring tasks");
      finishedAtKill = tasks.finished.get();
      killedAt = System.nanoTime();
      if (!infer.isDone()) {
        kills = kill(run);
      }
      r = infer.join();
    } finally {
      sc.removeSparkListener(tasks);
    }
    double seconds = ChaosRun.secondsSince(started);
    double recovery = ChaosRun.secondsSince(killedAt);
    restore(run);
    SoftLabelDiff.Counts c = check(run, lake);
    String finding =
        kills == 0
            ? "infer ended before the kill: nothing was killed (use more chaos rows)"
            : String.format(
                Locale.ROOT,
                "killed %d process(es) when %d of %d scoring tasks had finished; %d commit(s)",
                kills,
                finishedAtKill,
                tasks.total.get(),
                r.commits());
    return result(kills, c, run.cleanInferSeconds(), seconds, recovery, kills > 0, finding);
  }

  /** Counts the scoring tasks: those of stages that run the teacher. */
  static final class ScoringTasks extends SparkListener {
    final AtomicInteger finished = new AtomicInteger();
    final AtomicInteger total = new AtomicInteger();
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();

    @Override
    public void onJobStart(SparkListenerJobStart start) {
      for (StageInfo s : CollectionConverters.asJava(start.stageInfos())) {
        if (scoringStage(start).orElse(-1) == s.stageId() && stages.add(s.stageId())) {
          total.addAndGet(s.numTasks());
        }
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      if (stages.contains(end.stageId()) && end.taskInfo().successful()) {
        finished.incrementAndGet();
      }
    }
  }

  /**
   * The stage of a job that runs the teacher and writes the soft labels: the job's last stage, in a
   * job that infer's write started (its stages are named after that call site; Delta's own jobs are
   * not).
   */
  static Optional<Integer> scoringStage(SparkListenerJobStart job) {
    return CollectionConverters.asJava(job.stageInfos()).stream()
        .filter(s -> s.name().contains("InferStage"))
        .map(StageInfo::stageId)
        .max(Integer::compare);
  }
}
