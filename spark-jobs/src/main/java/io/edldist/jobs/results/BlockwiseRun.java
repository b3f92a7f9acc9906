package io.edldist.jobs.results;

import java.util.List;
import java.util.Map;

/**
 * One run of the blockwise stage, as {@code reports/<run>/blockwise.json} holds it (and, with
 * {@code --results}, a results file the README's blockwise figures are rendered from). The keys
 * {@code teacher.test_accuracy}, {@code teacher.params}, {@code teacher.macs}, the same under
 * {@code student}, and {@code blocks_replaced} are read by automated checks: keep them stable.
 */
public record BlockwiseRun(
    String kind,
    String stamp,
    String commit,
    String runId,
    Scores teacher,
    Scores student,
    List<String> blocksReplaced,
    int blocksReplacedCount,
    Ratios studentOverTeacher,
    Map<String, Block> blocks,
    double teacherValidationAccuracy,
    Map<String, String> settings,
    Map<String, Double> timingsS) {
  public static final String KIND = "blockwise";

  /** One scored model: test accuracy, agreement with the teacher, size, cost, latency. */
  public record Scores(
      String id,
      String arch,
      double testAccuracy,
      double agreement,
      long params,
      long macs,
      double latencyMsBatch1,
      double latencyMsBatch256) {}

  /** The student over the teacher. */
  public record Ratios(double params, double macs, double accuracyDropPoints) {}

  /**
   * One block: reused from the store or trained (seconds, the last batch's MSE), and the validation
   * accuracy of the teacher with this block alone swapped in.
   */
  public record Block(
      boolean reused, double trainSeconds, Double finalMse, Double swapValidationAccuracy) {}
}
