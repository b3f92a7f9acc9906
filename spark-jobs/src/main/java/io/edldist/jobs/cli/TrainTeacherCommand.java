package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.teacher.TrainTeacherStage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "train-teacher",
    mixinStandardHelpOptions = true,
    description =
        "Train the teacher (teacher.arch, default a CNN) on the train split and save it to the"
            + " model store under a content-hashed version.")
final class TrainTeacherCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--reuse",
      description =
          "When the model store already holds a teacher under teacher.name, keep the version it"
              + " saved last instead of training one, whatever settings trained it (to train"
              + " anew, drop --reuse or choose another teacher.name).")
  boolean reuse;

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    TrainTeacherStage.Result r =
        new TrainTeacherStage(Main.lake(config, "train-teacher"), config, Main.runId(config))
            .reuse(reuse)
            .execute();
    if (r.reused()) {
      out()
          .printf(
              "train-teacher: %s reused from the model store; nothing trained%n",
              r.teacher().meta().id());
    } else {
      out()
          .printf(
              "train-teacher: %s, test accuracy %.4f, %.0f s%n",
              r.teacher().meta().id(), r.testAccuracy(), r.seconds());
    }
    return 0;
  }

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
