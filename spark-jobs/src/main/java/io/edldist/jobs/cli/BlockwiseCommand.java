package io.edldist.jobs.cli;

import io.edldist.jobs.blockwise.BlockwiseReport;
import io.edldist.jobs.blockwise.BlockwiseStage;
import io.edldist.jobs.config.EdlConfig;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

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

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    Datasets.ensure(config);
    BlockwiseStage.Result r =
        new BlockwiseStage(Main.lake(config, "blockwise"), config, Main.runId(config)).execute();
    System.out.println();
    System.out.print(BlockwiseReport.table(r.teacherScores(), r.studentScores()));
    System.out.println("blocks replaced: " + String.join(", ", r.replaced()));
    StringBuilder timings = new StringBuilder("timings (s):");
    r.timings().forEach((k, v) -> timings.append(String.format(Locale.ROOT, " %s %.0f", k, v)));
    System.out.println(timings);
    System.out.println("report: " + r.reportDir() + "/blockwise.json");
    return 0;
  }
}
