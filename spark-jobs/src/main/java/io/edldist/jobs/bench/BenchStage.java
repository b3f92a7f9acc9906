package io.edldist.jobs.bench;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.results.ResultsFiles;
import io.edldist.jobs.results.ScaleResult;
import io.edldist.jobs.results.Stats;
import io.edldist.jobs.teacher.TrainTeacherStage;
import io.edldist.udfs.model.ModelBundle;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The benchmark: every ratio measured side by side in one run, on the same cores, pair by pair or
 * round by round ({@link Pairs}), and written to {@code bench/results/<stamp>.json} ({@link
 * BenchResult}), from which {@code edl-dist docs} renders BENCHMARKS.md.
 *
 * <ul>
 *   <li>{@code infer_efficiency}, {@code infer_noop_s}, {@code infer_intercept_s}, {@code
 *       infer_vs_pytorch_cnn} and {@code bare_loop_vs_pytorch_cnn}: {@link InferBench}, with a
 *       {@link PyTorchLoop} when {@code /usr/bin/python3} has torch;
 *   <li>{@code infer_vs_pytorch}: the same with the TorchScript fixture's layout, {@link
 *       TorchScriptBench};
 *   <li>{@code offline_kd_speedup} and {@code end_to_end_speedup}: {@link TrainingBench};
 *   <li>the three {@code *_resnet} ratios: the same two with a ResNet-18 teacher, {@link
 *       ResNetBench};
 *   <li>{@code blockwise_speedup_2_*}: {@link BlockwiseBench} ({@code blockwise.bench});
 *   <li>{@code infer_scaling_2x} and executor memory: {@link ClusterBench}, last, because it stops
 *       the local session.
 * </ul>
 *
 * With {@code blockwise.bench=only} it measures the blockwise part alone, prints it and writes no
 * results file (a results file is a whole run).
 */
public final class BenchStage {
  private final Lake lake;
  private final EdlConfig config;
  private final String runId;
  private Path resultsDir = Path.of("bench", "results");
  // the code that runs, recorded before a long run gives anyone time to edit it
  private final String commit = ResultsFiles.gitCommit();

  public BenchStage(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  /** Where the results file goes (default {@code bench/results}). */
  public BenchStage results(Path dir) {
    this.resultsDir = dir;
    return this;
  }

  /**
   * {@code bench --scale}: infer and training over growing tables ({@link ScaleBench}), written to
   * its own results file.
   */
  public Path scale() throws IOException {
    String stamp = ResultsFiles.stamp();
    new IngestStage(lake, config).execute();
    ModelBundle teacher =
        new TrainTeacherStage(lake, config, runId).reuse(true).execute().teacher();
    ScaleResult r = new ScaleBench(lake, config, teacher, runId).measure(stamp);
    Path file = ResultsFiles.write(resultsDir, stamp + ".json", r);
    System.out.println("bench --scale: wrote " + file);
    return file;
  }

  /** What the bench measured, and the file it wrote (null with {@code blockwise.bench=only}). */
  public record Result(BenchResult bench, Path file) {}

  public Result execute() throws IOException {
    String stamp = ResultsFiles.stamp();
    int slots = lake.spark().sparkContext().defaultParallelism();
    new IngestStage(lake, config).execute();
    int repeats = config.get(EdlConfig.BENCH_REPEATS);
    String blockwiseMode = config.get(EdlConfig.BLOCKWISE_BENCH);
    if (blockwiseMode.equals("only")) {
      BenchResult.Blockwise b = new BlockwiseBench(lake, config).measure(repeats);
      return new Result(result(stamp, slots, null, null, null, null, null, b, null), null);
    }
    int inferRounds = config.get(EdlConfig.BENCH_INFER_ROUNDS);
    double inferSeconds = config.get(EdlConfig.BENCH_INFER_SECONDS);
    SamplesMeta samples = SamplesMeta.of(lake);
    ModelBundle teacher =
        new TrainTeacherStage(lake, config, runId).reuse(true).execute().teacher();
    new InferStage(lake, config, runId).execute();
    InferBench cnn = new InferBench(lake, config, teacher, samples.features(), runId);
    float[][] source = cnn.source();
    String noPyTorch = PyTorchLoop.whyNot();
    BenchResult.Infer infer;
    BenchResult.Infer torchscript = null;
    if (noPyTorch != null) {
      System.err.println("bench: no PyTorch part: " + noPyTorch);
      infer = cnn.measure(inferRounds, inferSeconds, source, null);
    } else {
      if (teacher.meta().arch().equals("cnn")) {
        try (PyTorchLoop pytorch =
            PyTorchLoop.open("cnn", samples.features().shape(), samples.classes(), source)) {
          infer = cnn.measure(inferRounds, inferSeconds, source, pytorch);
        }
      } else {
        System.err.println("bench: no PyTorch side for the teacher: its arch is not cnn");
        infer = cnn.measure(inferRounds, inferSeconds, source, null);
      }
      torchscript = new TorchScriptBench(lake, config, runId).measure(inferRounds, source);
    }
    source = null; // the rows in memory are not needed past the infer comparisons
    BenchResult.Training training =
        new TrainingBench(
                lake,
                config,
                teacher,
                samples.features(),
                samples.classes(),
                config.get(EdlConfig.BENCH_ROWS),
                runId)
            .measure(repeats);
    BenchResult.ResNetRun resnet =
        new ResNetBench(lake, config, runId).measure(inferRounds, repeats);
    BenchResult.Blockwise blockwise =
        blockwiseMode.equals("on") ? new BlockwiseBench(lake, config).measure(repeats) : null;
    BenchResult.Cluster cluster = new ClusterBench(lake, config, teacher, runId).measure(repeats);
    BenchResult r =
        result(
            stamp,
            slots,
            teacher.meta().id(),
            infer,
            torchscript,
            training,
            resnet,
            blockwise,
            cluster);
    Path file = ResultsFiles.write(resultsDir, stamp + ".json", r);
    System.out.println("bench: wrote " + file);
    return new Result(r, file);
  }

  private BenchResult result(
      String stamp,
      int slots,
      String teacher,
      BenchResult.Infer infer,
      BenchResult.Infer torchscript,
      BenchResult.Training training,
      BenchResult.ResNetRun resnet,
      BenchResult.Blockwise blockwise,
      BenchResult.Cluster cluster) {
    BenchResult.Infer resnetInfer = resnet == null ? null : resnet.infer();
    int disturbed = 0;
    for (BenchResult.Infer i : Arrays.asList(infer, torchscript, resnetInfer)) {
      disturbed += i == null ? 0 : (int) i.disturbed().stream().filter(d -> d).count();
    }
    return new BenchResult(
        BenchResult.KIND,
        BenchResult.SCHEMA,
        stamp,
        null,
        commit,
        Runtime.getRuntime().availableProcessors(),
        slots,
        config.get(EdlConfig.BENCH_REPEATS),
        teacher,
        infer == null ? null : infer.median(infer.ratios()),
        training == null ? null : Stats.median(training.offlineRatios()),
        training == null ? null : Stats.median(training.endToEndRatios()),
        blockwise == null ? null : Stats.median(blockwise.lptRatios()),
        blockwise == null ? null : Stats.median(blockwise.roundRobinRatios()),
        cluster == null ? null : Stats.median(cluster.ratios()),
        infer == null ? null : infer.noopSeconds(),
        infer == null ? null : infer.noopSeconds(),
        infer == null ? null : infer.interceptSeconds(),
        infer == null ? null : infer.bareBest(),
        infer == null ? null : infer.bareBest().samplesPerS(),
        infer == null ? null : disturbed,
        torchscript == null ? null : torchscript.median(torchscript.pytorchRatios()),
        infer == null ? null : infer.median(infer.pytorchRatios()),
        infer == null ? null : infer.median(infer.bareVsPytorchRatios()),
        resnetInfer == null ? null : resnetInfer.median(resnetInfer.ratios()),
        resnet == null ? null : Stats.median(resnet.training().offlineRatios()),
        resnet == null ? null : Stats.median(resnet.training().endToEndRatios()),
        infer,
        torchscript,
        training,
        resnet,
        blockwise,
        cluster);
  }
}
