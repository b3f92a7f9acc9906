package io.edldist.jobs.cli;

import io.edldist.jobs.bench.BenchStage;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.docs.Docs;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measure, side by side and pair by pair: infer_efficiency (Spark infer vs a bare DJL loop),"
          + " offline_kd_speedup and end_to_end_speedup (offline vs online distillation), the same"
          + " three with a ResNet-18 teacher (*_resnet), blockwise_speedup_2_*, infer_scaling_2x;"
          + " write bench/results/<stamp>.json and render"
          + " BENCHMARKS.md from every results file."
    })
final class BenchCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--root",
      defaultValue = ".",
      description = "Repository folder: results go to bench/results/ under it (default .).")
  Path root;

  @Option(
      names = "--scale",
      description =
          "Instead: infer over the samples repeated to 70k, 700k and 2.1M rows, and KD training"
              + " from the largest on the streaming path (bench/results/<stamp>.json, kind"
              + " scale).")
  boolean scale;

  @Override
  public Integer call() throws Exception {
    EdlConfig config = main.config();
    Datasets.ensure(config, spec.commandLine().getErr());
    BenchStage stage =
        new BenchStage(Main.lake(config, "bench"), config, Main.runId(config))
            .results(root.resolve(Docs.BENCH_RESULTS));
    var out = spec.commandLine().getOut();
    if (scale) {
      out.println("bench: results in " + stage.scale());
      Docs.write(root).forEach(p -> out.println("bench: rendered " + p));
      return 0;
    }
    BenchStage.Result r = stage.execute();
    if (r.file() == null) {
      out.println(io.edldist.jobs.results.ResultsFiles.json(r.bench()));
      return 0;
    }
    out.println("bench: results in " + r.file());
    Docs.write(root).forEach(p -> out.println("bench: rendered " + p));
    return 0;
  }
}
