package io.edldist.jobs.blockwise;

import ai.djl.Model;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.edldist.jobs.evaluate.TestSet;
import io.edldist.jobs.lake.Lake;
import io.edldist.udfs.model.Macs;
import io.edldist.udfs.model.ModelBundle;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Scores the blockwise teacher and student on the test split (accuracy, agreement with the
 * teacher's stored predictions, parameters, multiply-accumulates from {@link Macs}, latency per
 * sample) and writes {@code reports/<run>/blockwise.json}. Its keys {@code teacher.test_accuracy},
 * {@code teacher.params}, {@code teacher.macs}, the same under {@code student}, and {@code
 * blocks_replaced} are read by automated checks: keep them stable.
 */
public final class BlockwiseReport {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One scored model. */
  public record Scores(
      String id,
      String arch,
      double accuracy,
      double agreement,
      long params,
      long macs,
      double latencyBatch1Ms,
      double latencyBatch256Ms) {}

  private final Lake lake;
  private final String runId;

  BlockwiseReport(Lake lake, String runId) {
    this.lake = lake;
    this.runId = runId;
  }

  String folder() {
    return "reports/" + runId;
  }

  Scores score(ModelBundle bundle, Model model, TestSet test) {
    int[] predictions = test.predictions(model, 256);
    return new Scores(
        bundle.meta().id(),
        bundle.meta().arch(),
        test.accuracy(predictions),
        TestSet.agreement(predictions, test.teacherPredictions()),
        ModelBundle.countParameters(model.getBlock()),
        Macs.count(model.getBlock(), bundle.meta().inputShape()),
        test.latencyPerSample(model, 1, 21) * 1000,
        test.latencyPerSample(model, 256, 7) * 1000);
  }

  void write(BlockwiseStage.Result r, Map<String, Object> settings, double teacherValidation) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("run_id", runId);
    out.put("teacher", scores(r.teacherScores()));
    out.put("student", scores(r.studentScores()));
    out.put("blocks_replaced", r.replaced());
    out.put("blocks_replaced_count", r.replaced().size());
    Map<String, Object> ratios = new LinkedHashMap<>();
    ratios.put("params", (double) r.studentScores().params() / r.teacherScores().params());
    ratios.put("macs", (double) r.studentScores().macs() / r.teacherScores().macs());
    ratios.put(
        "accuracy_drop_points",
        100 * (r.teacherScores().accuracy() - r.studentScores().accuracy()));
    out.put("student_over_teacher", ratios);
    Map<String, Object> blocks = new LinkedHashMap<>();
    for (BlockwiseStage.BlockRun b : r.blocks()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("reused", b.reused());
      m.put("train_seconds", b.seconds());
      m.put("final_mse", Double.isNaN(b.finalLoss()) ? null : b.finalLoss());
      m.put("swap_validation_accuracy", r.swapAccuracy().get("block" + b.block()));
      blocks.put("block" + b.block(), m);
    }
    out.put("blocks", blocks);
    out.put("teacher_validation_accuracy", teacherValidation);
    out.put("settings", settings);
    out.put("timings_s", r.timings());
    try {
      lake.writeString(folder() + "/blockwise.json", JSON.writeValueAsString(out) + "\n");
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> scores(Scores s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.id());
    m.put("arch", s.arch());
    m.put("test_accuracy", s.accuracy());
    m.put("agreement", s.agreement());
    m.put("params", s.params());
    m.put("macs", s.macs());
    m.put("latency_ms_batch1", s.latencyBatch1Ms());
    m.put("latency_ms_batch256", s.latencyBatch256Ms());
    return m;
  }

  /** A short table for the console. */
  public static String table(Scores teacher, Scores student) {
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "%-8s %-22s %9s %10s %12s %12s%n",
            "model",
            "arch",
            "accuracy",
            "params",
            "MACs",
            "ms/sample"));
    for (var e : java.util.List.of(Map.entry("teacher", teacher), Map.entry("student", student))) {
      Scores v = e.getValue();
      s.append(
          String.format(
              Locale.ROOT,
              "%-8s %-22s %9.4f %10d %12d %12.3f%n",
              e.getKey(),
              v.arch(),
              v.accuracy(),
              v.params(),
              v.macs(),
              v.latencyBatch256Ms()));
    }
    return s.toString();
  }
}
