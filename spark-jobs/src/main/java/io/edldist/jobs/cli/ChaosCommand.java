package io.edldist.jobs.cli;

import io.edldist.jobs.chaos.ChaosReport;
import io.edldist.jobs.chaos.ChaosStage;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.LocalFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = {
      "Run the pipeline on a real Spark standalone cluster started on this machine and kill"
          + " executors, a Worker and the driver mid-stage; check every row by id against a"
          + " clean run and write RELIABILITY.md.",
      "Ends with: chaos: scenarios=S kills=K rows_checked=R duplicates=D lost=L"
    })
final class ChaosCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Option(
      names = "--out",
      defaultValue = ".",
      description = "Folder for RELIABILITY.md and reliability/ (default: current folder).")
  Path out;

  @Option(
      names = "--work",
      description =
          "Folder for the cluster, the scratch lake and driver logs (default: a new"
              + " temporary folder, deleted afterwards).")
  Path work;

  @Override
  public Integer call() throws Exception {
    EdlConfig config = main.config();
    Path dir = work != null ? work : Files.createTempDirectory("edl-dist-chaos");
    ChaosStage.Result result;
    try (ChaosStage chaos = new ChaosStage(dir, config)) {
      result = chaos.execute();
      new ChaosReport(result).write(chaos.lake(), out);
    } finally {
      if (work == null) {
        LocalFiles.deleteTree(dir);
      }
    }
    System.out.println(result.line());
    System.out.println("chaos: report in " + out.resolve(ChaosReport.MARKDOWN));
    return result.passed() ? 0 : 1;
  }
}
