package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.evaluate.EvaluateStage;
import io.edldist.jobs.report.Report;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description =
        "Evaluate teacher, KD student and baseline student on the test split; write metrics and"
            + " reports/<run>/ (summary.json, report.md, PNG charts).")
final class EvaluateCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    EvaluateStage.Result r =
        new EvaluateStage(Main.lake(config, "evaluate"), config, Main.runId(config)).execute();
    out().print(Report.table(r.models()));
    out().println("report: " + r.reportDir());
    return 0;
  }

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
