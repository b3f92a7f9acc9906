package io.edldist.jobs.blockwise;

import ai.djl.Model;
import io.edldist.jobs.evaluate.TestSet;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.BlockwiseRun;
import io.edldist.jobs.results.ResultsFiles;
import io.edldist.udfs.model.Macs;
import io.edldist.udfs.model.ModelBundle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scores the blockwise teacher and student on the test split (accuracy, agreement with the
 * teacher's stored predictions, parameters, multiply-accumulates from {@link Macs}, latency per
 * sample) and writes {@code reports/<run>/blockwise.json} ({@link BlockwiseRun}).
 */
public final class BlockwiseReport {
  private final Lake lake;
  private final String runId;

  BlockwiseReport(Lake lake, String runId) {
    this.lake = lake;
    this.runId = runId;
  }

  String folder() {
    return "reports/" + runId;
  }

  BlockwiseRun.Scores score(ModelBundle bundle, Model model, TestSet test) {
    int[] predictions = test.predictions(model, 256);
    return new BlockwiseRun.Scores(
        bundle.meta().id(),
        bundle.meta().arch(),
        test.accuracy(predictions),
        TestSet.agreement(predictions, test.teacherPredictions()),
        ModelBundle.countParameters(model.getBlock()),
        Macs.count(model.getBlock(), bundle.meta().inputShape()),
        test.latencyPerSample(model, 1, 21) * 1000,
        test.latencyPerSample(model, 256, 7) * 1000);
  }

  BlockwiseRun write(
      List<BlockwiseStage.BlockRun> runs,
      List<String> replaced,
      Map<String, Double> swapAccuracy,
      BlockwiseRun.Scores t,
      BlockwiseRun.Scores s,
      Map<String, Double> timings,
      Map<String, String> settings,
      double validation) {
    Map<String, BlockwiseRun.Block> blocks = new LinkedHashMap<>();
    for (BlockwiseStage.BlockRun b : runs) {
      blocks.put(
          "block" + b.block(),
          new BlockwiseRun.Block(
              b.reused(),
              b.seconds(),
              Double.isNaN(b.finalLoss()) ? null : b.finalLoss(),
              swapAccuracy.get("block" + b.block())));
    }
    BlockwiseRun run =
        new BlockwiseRun(
            BlockwiseRun.KIND,
            ResultsFiles.stamp(),
            ResultsFiles.gitCommit(),
            runId,
            t,
            s,
            replaced,
            replaced.size(),
            new BlockwiseRun.Ratios(
                (double) s.params() / t.params(),
                (double) s.macs() / t.macs(),
                100 * (t.testAccuracy() - s.testAccuracy())),
            blocks,
            validation,
            settings,
            timings);
    lake.writeString(folder() + "/blockwise.json", ResultsFiles.json(run));
    return run;
  }

  /** A short table for the console. */
  public static String table(BlockwiseRun.Scores teacher, BlockwiseRun.Scores student) {
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
    for (var e : List.of(Map.entry("teacher", teacher), Map.entry("student", student))) {
      BlockwiseRun.Scores v = e.getValue();
      s.append(
          String.format(
              Locale.ROOT,
              "%-8s %-22s %9.4f %10d %12d %12.3f%n",
              e.getKey(),
              v.arch(),
              v.testAccuracy(),
              v.params(),
              v.macs(),
              v.latencyMsBatch256()));
    }
    return s.toString();
  }
}
