package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.quickstart.QuickstartStage;
import io.edldist.jobs.report.Report;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description =
        "Run the whole pipeline on --data (default Fashion-MNIST): ingest, train-teacher (reused"
            + " when present), infer, train kd, train baseline, evaluate; print the summary.")
final class QuickstartCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    Datasets.ensure(config);
    QuickstartStage.Result r =
        new QuickstartStage(Main.lake(config, "quickstart"), config, Main.runId(config)).execute();
    System.out.println();
    System.out.print(Report.table(r.evaluate().models()));
    StringBuilder timings = new StringBuilder("timings (s):");
    r.timings().forEach((k, v) -> timings.append(String.format(Locale.ROOT, " %s %.0f", k, v)));
    System.out.println(timings);
    System.out.println("report: " + r.evaluate().reportDir());
    return 0;
  }
}
