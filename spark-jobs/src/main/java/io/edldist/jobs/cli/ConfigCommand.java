package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = "List every setting with its current value, default and meaning.")
final class ConfigCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    var out = spec.commandLine().getOut();
    for (EdlConfig.Key<?> key : EdlConfig.keys()) {
      out.printf(
          "%-24s = %-36s # %s (default: %s)%n",
          key.name(),
          config.raw(key),
          key.doc(),
          key.defaultValue().isEmpty() ? "none" : key.defaultValue());
    }
    config.sparkSettings().forEach((k, v) -> out.printf("%-24s = %s%n", k, EdlConfig.shown(k, v)));
    return 0;
  }
}
