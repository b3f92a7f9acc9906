package io.edldist.jobs.results;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One run of {@code edl-dist bench}, as written to {@code bench/results/<stamp>.json};
 * BENCHMARKS.md is rendered from these files. Every ratio is measured side by side: the sides run
 * pair by pair (the infer comparisons in rounds of three or four sides), which side goes first
 * alternating from pair to pair, and the figure is the median of the per-pair ratios. The top-level
 * keys are read by automated checks: keep them stable ({@code infer_fixed_s} stays, with the same
 * value as {@code infer_noop_s}).
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
    @JsonProperty("infer_noop_s") Double inferNoopS,
    @JsonProperty("infer_intercept_s") Double inferInterceptS,
    @JsonProperty("bare_loop_best") BareLoop bareLoopBest,
    @JsonProperty("bare_loop_sweep_rate") Double bareLoopSweepRate,
    @JsonProperty("pairs_disturbed") Integer pairsDisturbed,
    @JsonProperty("infer_vs_pytorch") Double inferVsPytorch,
    @JsonProperty("infer_vs_pytorch_cnn") Double inferVsPytorchCnn,
    @JsonProperty("bare_loop_vs_pytorch_cnn") Double bareLoopVsPytorchCnn,
    Double inferEfficiencyResnet,
    Double offlineKdSpeedupResnet,
    Double endToEndSpeedupResnet,
    Infer infer,
    Infer torchscript,
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
   * The Spark infer stage against a bare DJL loop over the same rows, and, when {@code
   * /usr/bin/python3} has torch, a plain PyTorch loop over them: {@code infer_efficiency} = median
   * over rounds of bare seconds / Spark seconds; the PyTorch ratios likewise. Each round runs every
   * side once; a round whose bare loop ran under 0.9 of its sweep rate was run again, and is marked
   * {@code disturbed} if it stayed so. Medians leave disturbed rounds out (unless every round was).
   *
   * @param sourceRows the samples the rounds' rows repeat ({@code rows} is a multiple of them)
   * @param seconds the seconds of the fastest bare loop's work the rounds were sized to
   * @param noopSeconds an infer with nothing to score: the path that returns before any query
   *     starts ({@code infer_noop_s})
   * @param interceptSeconds seconds at zero rows of the line through the infer of the source
   *     samples alone ({@code aloneSeconds}) and the Spark side over {@code rows}, per round; the
   *     median: what a call costs beyond its rows (absent when {@code rows} is the source itself)
   * @param bareBest the fastest setting of the sweep, the one the rounds use
   * @param sparkSeconds per round, the whole {@code infer} stage: read, score, write, commit
   * @param pytorchBest the fastest PyTorch setting (null without torch)
   * @param pytorchRatios per round, PyTorch seconds / Spark seconds: Spark's rate over PyTorch's
   * @param bareVsPytorchRatios per round, PyTorch seconds / bare seconds: DJL's rate over PyTorch's
   */
  public record Infer(
      long rows,
      Long sourceRows,
      Double seconds,
      int batchSize,
      @JsonAlias("fixed_seconds") double noopSeconds,
      Double interceptSeconds,
      BareLoop bareBest,
      List<BareLoop> bareSweep,
      List<Double> sparkSeconds,
      List<Double> bareSeconds,
      List<Double> aloneSeconds,
      List<Double> ratios,
      List<Boolean> disturbed,
      Integer reruns,
      BareLoop pytorchBest,
      List<BareLoop> pytorchSweep,
      List<Double> pytorchSeconds,
      List<Double> pytorchRatios,
      List<Double> bareVsPytorchRatios) {
    /** The median of a per-round list over the undisturbed rounds; null for a null list. */
    public Double median(List<Double> perRound) {
      return perRound == null ? null : Stats.median(kept(perRound));
    }

    /** The undisturbed rounds' values of a per-round list (all of them if every one is). */
    public List<Double> kept(List<Double> perRound) {
      return undisturbed(perRound, disturbed);
    }

    /** The values of {@code perRound} whose round is not disturbed (all if every one is). */
    public static List<Double> undisturbed(List<Double> perRound, List<Boolean> disturbed) {
      if (perRound == null || disturbed == null || !disturbed.contains(false)) {
        return perRound;
      }
      List<Double> out = new ArrayList<>();
      for (int i = 0; i < perRound.size(); i++) {
        if (!disturbed.get(i)) {
          out.add(perRound.get(i));
        }
      }
      return out;
    }
  }

  /**
   * One setting of a bare loop: {@code loops} side by side (threads of one JVM for DJL, processes
   * for PyTorch), each with {@code threads} libtorch threads and batches of {@code batch}, and the
   * rate it reached; {@code allocator} is PyTorch's ({@code user}: glibc's defaults, {@code
   * project}: the settings edl-dist gives libtorch), null for DJL, which runs under the project's.
   */
  public record BareLoop(int loops, int threads, int batch, double samplesPerS, String allocator) {
    public BareLoop withRate(double rate) {
      return new BareLoop(loops, threads, batch, rate, allocator);
    }
  }

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
