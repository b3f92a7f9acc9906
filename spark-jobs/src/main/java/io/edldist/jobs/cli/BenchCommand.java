package io.edldist.jobs.cli;

import io.edldist.jobs.bench.BenchStage;
import io.edldist.jobs.config.EdlConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measure, side by side in one run: infer_efficiency (Spark infer vs a bare DJL loop),"
          + " offline_kd_speedup (training from soft_labels vs online distillation) and"
          + " end_to_end_speedup; writes bench/results/<timestamp>.json and BENCHMARKS.md."
    })
final class BenchCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Option(
      names = "--out",
      defaultValue = "bench",
      description = "Folder for results (default bench).")
  String out;

  @Option(
      names = "--markdown",
      defaultValue = "BENCHMARKS.md",
      description = "Markdown file to update.")
  String markdown;

  @Override
  public Integer call() throws Exception {
    EdlConfig config = main.config();
    Datasets.ensure(config);
    new BenchStage(Main.lake(config, "bench"), config, Main.runId(config))
        .output(java.nio.file.Path.of(out), java.nio.file.Path.of(markdown))
        .execute();
    return 0;
  }
}
