package io.edldist.jobs.cli;

import io.edldist.jobs.chaos.ChaosRun;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.docs.Docs;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.results.ChaosResult;
import io.edldist.jobs.results.ResultsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = {
      "Run the pipeline on a real Spark standalone cluster started on this machine and kill"
          + " executors, a Worker and the driver mid-stage; check every row by id against a"
          + " clean run; write reliability/chaos-<stamp>.json and render RELIABILITY.md.",
      "Ends with: chaos: scenarios=S kills=K rows_checked=R duplicates=D lost=L;"
          + " exits 3 when a scenario failed."
    })
final class ChaosCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--out",
      defaultValue = ".",
      description = "Folder for reliability/ and RELIABILITY.md (default: current folder).")
  Path out;

  @Option(
      names = "--work",
      description =
          "Folder for the cluster, the scratch lakes and driver logs (default: a new"
              + " temporary folder, deleted afterwards).")
  Path work;

  @Override
  public Integer call() throws Exception {
    EdlConfig config = main.config();
    Datasets.ensure(config, spec.commandLine().getErr());
    Path dir = work != null ? work : Files.createTempDirectory("edl-dist-chaos");
    Path folder = out.resolve(Docs.RELIABILITY);
    ChaosResult result;
    try (ChaosRun chaos = new ChaosRun(dir, config)) {
      Files.createDirectories(folder);
      result = chaos.execute(folder.resolve("executor_timeline.png"));
    } finally {
      if (work == null) {
        LocalFiles.deleteTree(dir);
      }
    }
    var console = spec.commandLine().getOut();
    Path file = ResultsFiles.write(folder, "chaos-" + result.stamp() + ".json", result);
    Docs.write(out).forEach(p -> console.println("chaos: rendered " + p));
    console.println(result.line());
    console.println("chaos: results in " + file);
    return result.passed() ? 0 : Main.CHECK_FAILED;
  }
}
