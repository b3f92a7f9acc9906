package io.edldist.jobs.cli;

import io.edldist.jobs.blockwise.BlockwiseReport;
import io.edldist.jobs.blockwise.BlockwiseStage;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.results.ResultsFiles;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "blockwise",
    mixinStandardHelpOptions = true,
    description =
        "Parallel blockwise distillation: replace the VGG teacher's 3x3 conv blocks with"
            + " depthwise-separable blocks trained as parallel Spark tasks, assemble, fine-tune"
            + " with the distillation loss, evaluate. Runs ingest, the VGG teacher and its soft"
            + " labels first when the lake lacks them.")
final class BlockwiseCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--results",
      description = "Also write the report as DIR/blockwise-<stamp>.json (for edl-dist docs).")
  Path results;

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    Datasets.ensure(config, spec.commandLine().getErr());
    BlockwiseStage.Result r =
        new BlockwiseStage(Main.lake(config, "blockwise"), config, Main.runId(config)).execute();
    var out = spec.commandLine().getOut();
    out.println();
    out.print(BlockwiseReport.table(r.run().teacher(), r.run().student()));
    out.println("blocks replaced: " + String.join(", ", r.run().blocksReplaced()));
    StringBuilder timings = new StringBuilder("timings (s):");
    r.run()
        .timingsS()
        .forEach((k, v) -> timings.append(String.format(Locale.ROOT, " %s %.0f", k, v)));
    out.println(timings);
    out.println("report: " + r.reportDir() + "/blockwise.json");
    if (results != null) {
      out.println(
          "results: "
              + ResultsFiles.write(results, "blockwise-" + r.run().stamp() + ".json", r.run()));
    }
    return 0;
  }
}
