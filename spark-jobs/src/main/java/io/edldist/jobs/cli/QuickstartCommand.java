package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.quickstart.QuickstartStage;
import io.edldist.jobs.report.Report;
import io.edldist.jobs.results.QuickstartRun;
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
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description =
        "Run the whole pipeline on --data (default Fashion-MNIST): ingest, train-teacher (reused"
            + " when present), infer, train kd, train baseline, evaluate; print the summary.")
final class QuickstartCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--results",
      description = "Also write the summary as DIR/quickstart-<stamp>.json (for edl-dist docs).")
  Path results;

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    Datasets.ensure(config, spec.commandLine().getErr());
    String stamp = ResultsFiles.stamp();
    Lake lake = Main.lake(config, "quickstart");
    QuickstartStage.Result r = new QuickstartStage(lake, config, Main.runId(config)).execute();
    var out = spec.commandLine().getOut();
    out.println();
    out.print(Report.table(r.evaluate().models()));
    StringBuilder timings = new StringBuilder("timings (s):");
    r.timings().forEach((k, v) -> timings.append(String.format(Locale.ROOT, " %s %.0f", k, v)));
    out.println(timings);
    out.println("report: " + r.evaluate().reportDir());
    if (results != null) {
      QuickstartRun run =
          new QuickstartRun(
              QuickstartRun.KIND,
              stamp,
              ResultsFiles.gitCommit(),
              Runtime.getRuntime().availableProcessors(),
              config.get(EdlConfig.DATA),
              r.ingest().train(),
              r.ingest().test(),
              r.evaluate().models(),
              r.timings());
      out.println("results: " + ResultsFiles.write(results, "quickstart-" + stamp + ".json", run));
    }
    return 0;
  }
}
