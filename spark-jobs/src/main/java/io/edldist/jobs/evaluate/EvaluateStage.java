package io.edldist.jobs.evaluate;

import ai.djl.Model;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.Metrics;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.lake.SoftLabels;
import io.edldist.jobs.report.Report;
import io.edldist.jobs.results.ModelScore;
import io.edldist.jobs.train.TrainStage;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates the teacher, the KD student and the baseline student (and the blockwise student when
 * the store holds one; its agreement is with this teacher, not its own VGG teacher) on the test
 * split: accuracy, agreement with the teacher, parameters, size on disk, latency per sample at
 * batch 1 and 256. The teacher's predictions come from its stored logits in {@code soft_labels};
 * the students run on the driver. Writes the {@code metrics} table and the report (summary.json,
 * report.md, PNG charts) under {@code reports/<run>/}.
 */
public final class EvaluateStage {
  /** What the stage did. */
  public record Result(List<ModelScore> models, long softLabelRows, String reportDir) {}

  private final Lake lake;
  private final EdlConfig config;
  private final String runId;
  private Map<String, Double> timings = Map.of();

  public EvaluateStage(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  /** Stage wall times to put in the summary (quickstart passes its own). */
  public EvaluateStage timings(Map<String, Double> value) {
    this.timings = value;
    return this;
  }

  public Result execute() {
    ModelStore store = new ModelStore(lake);
    SamplesMeta samples = SamplesMeta.of(lake);
    ModelBundle teacher =
        store.teacher(
            config.get(EdlConfig.TEACHER_NAME), config.get(EdlConfig.TEACHER_PATH), samples);
    Features features = samples.features();
    long softLabelRows = SoftLabels.count(lake, teacher.meta().id());
    TestSet test =
        TestSet.of(
            SoftLabels.withSamples(lake, teacher.meta().id(), "test", false, true), features, true);
    if (test.size() == 0) {
      throw io.edldist.udfs.EdlException.cannot(
          "evaluate",
          "soft_labels holds no test rows for teacher " + teacher.meta().id(),
          "Run 'edl-dist infer' first");
    }
    int[] teacherPredictions = test.teacherPredictions();
    List<ModelScore> scores = new ArrayList<>();
    Model teacherModel = ModelCache.get(teacher);
    scores.add(
        score(
            "teacher", teacher, teacherModel, test, test.accuracy(teacherPredictions), 1.0, store));
    for (String mode : List.of("kd", "baseline", "blockwise")) {
      var student = store.latest(TrainStage.studentName(mode));
      if (student.isEmpty()) {
        continue;
      }
      try (Model model = student.get().load()) {
        int[] predictions = test.predictions(model, 256);
        scores.add(
            score(
                "student_" + mode,
                student.get(),
                model,
                test,
                test.accuracy(predictions),
                TestSet.agreement(predictions, teacherPredictions),
                store));
      }
    }
    Metrics metrics = new Metrics(runId, "evaluate");
    for (ModelScore s : scores) {
      metrics.add(s.role() + ".test_accuracy", s.accuracy());
      metrics.add(s.role() + ".agreement", s.agreement());
      metrics.add(s.role() + ".params", s.params());
      metrics.add(s.role() + ".size_bytes", s.sizeBytes());
      metrics.add(s.role() + ".latency_ms_batch1", s.latencyBatch1Ms());
      metrics.add(s.role() + ".latency_ms_batch256", s.latencyBatch256Ms());
    }
    metrics.flush(lake);
    Map<String, Double> allTimings = new LinkedHashMap<>(Report.latestTimings(lake));
    allTimings.putAll(timings);
    String dir = new Report(lake, runId).write(scores, softLabelRows, allTimings);
    return new Result(scores, softLabelRows, dir);
  }

  private ModelScore score(
      String role,
      ModelBundle bundle,
      Model model,
      TestSet test,
      double accuracy,
      double agreement,
      ModelStore store) {
    long params = bundle.meta().params();
    if (params == 0) {
      params = ModelBundle.countParameters(model.getBlock());
    }
    return new ModelScore(
        role,
        bundle.meta().id(),
        bundle.meta().arch(),
        accuracy,
        agreement,
        params,
        store.sizeOnDisk(bundle.meta()),
        test.latencyPerSample(model, 1, 50) * 1000,
        test.latencyPerSample(model, 256, 7) * 1000);
  }
}
