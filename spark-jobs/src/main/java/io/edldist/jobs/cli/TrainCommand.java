package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.train.TrainStage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train the student from soft_labels with the distillation loss (--mode kd), or from hard"
          + " labels only (--mode baseline). Never runs the teacher.",
      "Checkpoints every train.checkpoint-every steps; --resume continues from the latest."
    })
final class TrainCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--mode", description = "kd or baseline (train.mode).")
  String mode;

  @Option(names = "--resume", description = "Continue from the latest checkpoint.")
  boolean resume;

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    if (mode != null) {
      config = config.with(EdlConfig.TRAIN_MODE, mode);
    }
    TrainStage.Result r =
        new TrainStage(Main.lake(config, "train"), config, Main.runId(config))
            .resume(resume)
            .execute();
    out()
        .printf(
            "train: %s (%s) %,d steps, final loss %.4f, %,.0f samples/s%s, run %s%n",
            r.student().meta().id(),
            r.mode(),
            r.training().steps(),
            r.training().finalLoss(),
            r.training().samplesPerSecond(),
            r.streamed() ? ", streamed" : ", in memory",
            r.runId());
    return 0;
  }

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
