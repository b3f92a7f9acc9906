package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.ingest.IngestStage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
      "Load --data into the samples table: an idx folder (Fashion-MNIST layout, .gz or plain),"
          + " or Parquet / CSV with ingest.label-col and ingest.feature-cols.",
      "Bad rows go to the rejects table with the reason; a broken file stops with nothing written."
    })
final class IngestCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    IngestStage.Result r = new IngestStage(Main.lake(config, "ingest"), config).execute();
    if (r.skipped()) {
      out()
          .printf("ingest: samples already holds this input (%,d rows); nothing to do%n", r.rows());
    } else {
      out()
          .printf(
              "ingest: %,d rows into samples (train %,d, test %,d), %,d rejected%s%n",
              r.rows(),
              r.train(),
              r.test(),
              r.rejected(),
              r.rejected() > 0 ? " into rejects " + r.rejectReasons() : "");
    }
    return 0;
  }

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
