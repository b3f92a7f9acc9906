package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "infer",
    mixinStandardHelpOptions = true,
    description = {
      "Score samples with the teacher on the executors and append logits to soft_labels.",
      "Idempotent: only samples without a soft label for this teacher are scored."
    })
final class InferCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--teacher",
      description = "A TorchScript teacher file (.pt) to import and use (teacher.path).")
  String teacher;

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    if (teacher != null) {
      config = config.with(EdlConfig.TEACHER_PATH, teacher);
    }
    InferStage.Result r =
        new InferStage(Main.lake(config, "infer"), config, Main.runId(config)).execute();
    out()
        .printf(
            "infer: teacher %s scored %,d samples in %d commit(s) (%,.0f samples/s); %,d already had"
                + " soft labels; soft_labels now holds %,d rows for it%n",
            r.teacherId(),
            r.scored(),
            r.commits(),
            r.samplesPerSecond(),
            r.alreadyPresent(),
            r.scored() + r.alreadyPresent());
    return 0;
  }

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
