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

/**
 * The benchmark: every ratio measured side by side in one run, on the same cores, pair by pair
 * ({@link Pairs}), and written to {@code bench/results/<stamp>.json} ({@link BenchResult}), from
 * which {@code edl-dist docs} renders BENCHMARKS.md.
 *
 * <ul>
 *   <li>{@code infer_efficiency}: {@link InferBench};
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
      return new Result(result(stamp, slots, null, null, null, null, b, null), null);
    }
    SamplesMeta samples = SamplesMeta.of(lake);
    ModelBundle teacher =
        new TrainTeacherStage(lake, config, runId).reuse(true).execute().teacher();
    new InferStage(lake, config, runId).execute();
    BenchResult.Infer infer =
        new InferBench(lake, config, teacher, samples.features(), runId).measure(repeats);
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
    BenchResult.ResNetRun resnet = new ResNetBench(lake, config, runId).measure(repeats);
    BenchResult.Blockwise blockwise =
        blockwiseMode.equals("on") ? new BlockwiseBench(lake, config).measure(repeats) : null;
    BenchResult.Cluster cluster = new ClusterBench(lake, config, teacher, runId).measure(repeats);
    BenchResult r =
        result(stamp, slots, teacher.meta().id(), infer, training, resnet, blockwise, cluster);
    Path file = ResultsFiles.write(resultsDir, stamp + ".json", r);
    System.out.println("bench: wrote " + file);
    return new Result(r, file);
  }

  private BenchResult result(
      String stamp,
      int slots,
      String teacher,
      BenchResult.Infer infer,
      BenchResult.Training training,
      BenchResult.ResNetRun resnet,
      BenchResult.Blockwise blockwise,
      BenchResult.Cluster cluster) {
    return new BenchResult(
        BenchResult.KIND,
        BenchResult.SCHEMA,
        stamp,
        null,
        ResultsFiles.gitCommit(),
        Runtime.getRuntime().availableProcessors(),
        slots,
        config.get(EdlConfig.BENCH_REPEATS),
        teacher,
        infer == null ? null : Stats.median(infer.ratios()),
        training == null ? null : Stats.median(training.offlineRatios()),
        training == null ? null : Stats.median(training.endToEndRatios()),
        blockwise == null ? null : Stats.median(blockwise.lptRatios()),
        blockwise == null ? null : Stats.median(blockwise.roundRobinRatios()),
        cluster == null ? null : Stats.median(cluster.ratios()),
        infer == null ? null : infer.fixedSeconds(),
        infer == null ? null : infer.bareBest(),
        resnet == null ? null : Stats.median(resnet.infer().ratios()),
        resnet == null ? null : Stats.median(resnet.training().offlineRatios()),
        resnet == null ? null : Stats.median(resnet.training().endToEndRatios()),
        infer,
        training,
        resnet,
        blockwise,
        cluster);
  }
}
