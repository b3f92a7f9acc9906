package io.edldist.jobs.results;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One run of {@code edl-dist bench}, as written to {@code bench/results/<stamp>.json};
 * BENCHMARKS.md is rendered from these files. Every ratio is measured side by side: the two sides
 * run pair by pair, which side goes first alternating from pair to pair, and the figure is the
 * median of the per-pair ratios. The top-level ratio keys are read by automated checks: keep them
 * stable.
 *
 * <p>Files of older runs ({@code schema} absent or 1) hold the same top-level ratios, computed as
 * the ratio of two medians; their {@code end_to_end_speedup} was arithmetic on measured rates, not
 * a measurement, and is not shown.
 *
 * @param schema 2 for results whose every ratio is a median of paired ratios
 * @param stamp when the run started ({@code yyyyMMdd-HHmmss})
 * @param timestamp older runs' start time (ISO), kept for their history row
 * @param commit the git commit of the code that ran, when known
 */
public record BenchResult(
    String kind,
    Integer schema,
    String stamp,
    String timestamp,
    String commit,
    Integer cores,
    Integer sparkTaskSlots,
    Integer repeats,
    String teacher,
    Double inferEfficiency,
    Double offlineKdSpeedup,
    Double endToEndSpeedup,
    @JsonProperty("blockwise_speedup_2_lpt") Double blockwiseSpeedup2Lpt,
    @JsonProperty("blockwise_speedup_2_round_robin") Double blockwiseSpeedup2RoundRobin,
    @JsonProperty("infer_scaling_2x") Double inferScaling2x,
    @JsonProperty("infer_fixed_s") Double inferFixedS,
    @JsonProperty("bare_loop_best") BareLoop bareLoopBest,
    Double inferEfficiencyResnet,
    Double offlineKdSpeedupResnet,
    Double endToEndSpeedupResnet,
    Infer infer,
    Training training,
    ResNetRun resnet,
    Blockwise blockwise,
    Cluster cluster) {
  public static final String KIND = "bench";
  public static final int SCHEMA = 2;

  /** Whether every ratio of this run is a median of paired ratios. */
  public boolean paired() {
    return schema != null && schema >= SCHEMA;
  }

  /**
   * The Spark infer stage against a bare DJL loop over the same rows: {@code infer_efficiency} =
   * median over pairs of bare seconds / Spark seconds.
   *
   * @param fixedSeconds an infer with nothing to score: what a call costs before its first row
   * @param interceptSeconds seconds at zero rows of the line through an infer of the source samples
   *     from scratch and the Spark side's median over {@code rows}: what a call costs beyond its
   *     rows (absent in older runs, and when {@code rows} is the source itself)
   * @param bareBest the fastest setting of the sweep, the one the pairs use
   * @param sparkSeconds per pair, the whole {@code infer} stage: read, score, write, commit
   */
  public record Infer(
      long rows,
      int batchSize,
      double fixedSeconds,
      Double interceptSeconds,
      BareLoop bareBest,
      List<BareLoop> bareSweep,
      List<Double> sparkSeconds,
      List<Double> bareSeconds,
      List<Double> ratios) {}

  /**
   * One setting of the bare loop: {@code loops} side by side, each with {@code threads} libtorch
   * threads and batches of {@code batch}, and the rate it reached.
   */
  public record BareLoop(int loops, int threads, int batch, double samplesPerS) {}

  /**
   * Student training from stored soft labels against online distillation (the teacher's forward
   * pass inside the training loop), same student, rows, batch size and epochs. {@code
   * offline_kd_speedup} = median over pairs of online / offline training seconds; {@code
   * end_to_end_speedup} = median of online seconds / (infer seconds + offline seconds), both
   * pipelines run to the end.
   */
  public record Training(
      long rows,
      int epochs,
      int batchSize,
      String student,
      List<Double> onlineSeconds,
      List<Double> offlineSeconds,
      List<Double> inferSeconds,
      List<Double> offlineRatios,
      List<Double> endToEndRatios) {}

  /**
   * The infer and training measurements again with a teacher of the size users bring: {@code
   * infer_efficiency_resnet}, {@code offline_kd_speedup_resnet} and {@code
   * end_to_end_speedup_resnet} are computed from these as their CNN counterparts are.
   *
   * @param teacher the teacher's id; its weights are random (a seeded initialisation), which the
   *     timings do not depend on
   * @param arch its architecture, {@code resnet18}
   * @param params its parameter count
   * @param macsPerSample its multiply-accumulates per sample
   * @param rows how many of the first samples it scores, padded to {@code inputShape}
   */
  public record ResNetRun(
      String teacher,
      String arch,
      long params,
      long macsPerSample,
      long rows,
      int[] inputShape,
      Infer infer,
      Training training) {}

  /**
   * Every block of the VGG teacher trained one after another in one task against the two-slot
   * schedules (two tasks side by side). {@code ceiling*}: the speedup each schedule allows, the sum
   * of the block seconds measured in this run over the schedule's makespan with them.
   *
   * @param fixedSeconds a two-slot job that trains every block for one batch: launch and setup
   * @param blockSeconds per block, median seconds in the sequential runs
   * @param projected for 4, 8 and 16 slots, the ceiling of each policy
   * @param teacherInput per block, milliseconds per sample to get its teacher input and target
   */
  public record Blockwise(
      String teacher,
      long rowsPerBlock,
      int batchSize,
      double fixedSeconds,
      List<Double> sequentialSeconds,
      List<Double> lptSeconds,
      List<Double> roundRobinSeconds,
      List<Double> lptRatios,
      List<Double> roundRobinRatios,
      Map<String, Double> blockSeconds,
      double ceilingLpt,
      double ceilingRoundRobin,
      Map<String, Map<String, Double>> projected,
      Map<String, TeacherInput> teacherInput) {}

  /**
   * How a block task gets its teacher input and target, per sample: computed (the teacher's prefix
   * forward pass, as the task does) or read back from a Delta table of stored activations, both
   * timed the same way over the same rows after a warm-up.
   *
   * @param storedFixedShare the share of the stored read that an empty read of the table takes
   */
  public record TeacherInput(
      long rows, double computedMsPerSample, double storedMsPerSample, double storedFixedShare) {}

  /**
   * Infer on standalone clusters on this machine: {@code infer_scaling_2x} = median over pairs of
   * the rate with two one-core executors / with one; and executor memory.
   */
  public record Cluster(
      long rows,
      int partitions,
      double fixedSeconds,
      List<Double> oneExecutorSeconds,
      List<Double> twoExecutorSeconds,
      List<Double> ratios,
      @JsonProperty("peak_rss_mb_1_task") double peakRssMb1Task,
      @JsonProperty("peak_rss_mb_4_tasks") double peakRssMb4Tasks,
      @JsonProperty("teacher_loads_1_task") int teacherLoads1Task,
      @JsonProperty("teacher_loads_4_tasks") int teacherLoads4Tasks,
      String executorHeap) {}
}
