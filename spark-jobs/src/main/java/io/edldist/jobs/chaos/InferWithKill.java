package io.edldist.jobs.chaos;

import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.ScenarioResult;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.ExecutorLostFailure;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Runs {@code infer} in this driver and kills processes of the cluster once two scoring tasks have
 * finished while two run; the job must still end with every sample scored exactly once, as in the
 * clean run. A kill counts only with evidence that it cost work: a scoring task failed with the
 * lost executor and a later attempt of it succeeded. Without that, the scenario fails.
 */
abstract class InferWithKill extends SoftLabelScenario {
  /**
   * Kills; returns how many processes died.
   *
   * @param busy the ids of the executors running a scoring task, as the listener last heard
   */
  abstract int kill(ChaosRun run, Set<String> busy);

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
      ChaosRun.await(
          () -> tasks.finished.get() >= 2 && tasks.running.get() >= 2 || infer.isDone(),
          "two scoring tasks finished and two running");
      finishedAtKill = tasks.finished.get();
      killedAt = System.nanoTime();
      if (!infer.isDone()) {
        kills = kill(run, tasks.busyExecutors());
      }
      r = infer.join();
    } finally {
      sc.removeSparkListener(tasks);
    }
    double seconds = ChaosRun.secondsSince(started);
    double recovery = ChaosRun.secondsSince(killedAt);
    restore(run);
    SoftLabelDiff.Counts c = check(run, lake);
    int redone = tasks.redone.get();
    String finding =
        kills == 0
            ? "infer ended before the kill: nothing was killed (use more chaos rows)"
            : String.format(
                Locale.ROOT,
                "killed %d process(es) when %d of %d scoring tasks had finished; %d task(s) failed"
                    + " with a lost executor and %d of them succeeded on a later attempt%s; %d"
                    + " commit(s)",
                kills,
                finishedAtKill,
                tasks.total.get(),
                tasks.lost.size(),
                redone,
                redone == 0 ? " (no evidence the kill cost work: the kill does not count)" : "",
                r.commits());
    return result(
        redone > 0 ? kills : 0,
        c,
        run.cleanInferSeconds(),
        seconds,
        recovery,
        kills > 0 && redone > 0,
        finding);
  }

  /**
   * Counts the scoring tasks (those of stages that run the teacher): finished, running, and those
   * that failed with a lost executor and then succeeded on a later attempt.
   */
  static final class ScoringTasks extends SparkListener {
    final AtomicInteger finished = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger total = new AtomicInteger();
    final AtomicInteger redone = new AtomicInteger();

    /** Stage and partition of each task that failed with a lost executor. */
    final Set<String> lost = ConcurrentHashMap.newKeySet();

    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> runningOn = new ConcurrentHashMap<>();

    Set<String> busyExecutors() {
      Set<String> busy = new HashSet<>();
      runningOn.forEach(
          (id, n) -> {
            if (n.get() > 0) {
              busy.add(id);
            }
          });
      return busy;
    }

    private AtomicInteger on(String executorId) {
      return runningOn.computeIfAbsent(executorId, id -> new AtomicInteger());
    }

    @Override
    public void onJobStart(SparkListenerJobStart start) {
      for (StageInfo s : CollectionConverters.asJava(start.stageInfos())) {
        if (scoringStage(start).orElse(-1) == s.stageId() && stages.add(s.stageId())) {
          total.addAndGet(s.numTasks());
        }
      }
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
      if (stages.contains(start.stageId())) {
        running.incrementAndGet();
        on(start.taskInfo().executorId()).incrementAndGet();
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      if (!stages.contains(end.stageId())) {
        return;
      }
      running.decrementAndGet();
      on(end.taskInfo().executorId()).decrementAndGet();
      String task = end.stageId() + ":" + end.taskInfo().partitionId();
      if (end.taskInfo().successful()) {
        finished.incrementAndGet();
        if (lost.contains(task)) {
          redone.incrementAndGet();
        }
      } else if (end.reason() instanceof ExecutorLostFailure) {
        lost.add(task);
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
