package io.edldist.jobs.quickstart;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.evaluate.EvaluateStage;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.teacher.TrainTeacherStage;
import io.edldist.jobs.train.TrainStage;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The whole pipeline in order: ingest, train-teacher (reused when the store already holds one),
 * infer, train (kd), train (baseline, same budget and seed), evaluate. Every stage is idempotent,
 * so a re-run after a crash redoes only the missing work.
 */
public final class QuickstartStage {
  /** What the pipeline did. */
  public record Result(
      IngestStage.Result ingest,
      TrainTeacherStage.Result teacher,
      InferStage.Result infer,
      TrainStage.Result kd,
      TrainStage.Result baseline,
      EvaluateStage.Result evaluate,
      Map<String, Double> timings) {}

  private final Lake lake;
  private final EdlConfig config;
  private final String runId;

  public QuickstartStage(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  public Result execute() {
    Map<String, Double> timings = new LinkedHashMap<>();
    long t = System.nanoTime();
    IngestStage.Result ingest = new IngestStage(lake, config).execute();
    t = lap(timings, "ingest", t);
    System.err.printf(
        "quickstart: ingest done (%d train, %d test samples)%n", ingest.train(), ingest.test());
    TrainTeacherStage.Result teacher =
        new TrainTeacherStage(lake, config, runId).reuse(true).execute();
    t = lap(timings, "train_teacher", t);
    System.err.println(
        "quickstart: teacher "
            + teacher.teacher().meta().id()
            + (teacher.reused() ? " (reused)" : ""));
    InferStage.Result infer = new InferStage(lake, config, runId).execute();
    t = lap(timings, "infer", t);
    System.err.printf("quickstart: infer scored %d samples%n", infer.scored());
    TrainStage.Result kd =
        new TrainStage(lake, config.with(EdlConfig.TRAIN_MODE, "kd"), runId).execute();
    t = lap(timings, "train_kd", t);
    TrainStage.Result baseline =
        new TrainStage(lake, config.with(EdlConfig.TRAIN_MODE, "baseline"), runId).execute();
    t = lap(timings, "train_baseline", t);
    EvaluateStage evaluate = new EvaluateStage(lake, config, runId);
    Map<String, Double> sofar = new LinkedHashMap<>(timings);
    EvaluateStage.Result evaluated = evaluate.timings(sofar).execute();
    lap(timings, "evaluate", t);
    return new Result(ingest, teacher, infer, kd, baseline, evaluated, timings);
  }

  private static long lap(Map<String, Double> timings, String stage, long start) {
    long now = System.nanoTime();
    timings.put(stage, (now - start) / 1e9);
    return now;
  }
}
