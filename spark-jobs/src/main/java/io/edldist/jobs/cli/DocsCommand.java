package io.edldist.jobs.cli;

import io.edldist.jobs.docs.Docs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "docs",
    mixinStandardHelpOptions = true,
    description = {
      "Render BENCHMARKS.md, RELIABILITY.md and the README's figures from the results files in"
          + " bench/results/ and reliability/ (bench, chaos, quickstart --results and blockwise"
          + " --results write them).",
      "With --check, change nothing and exit 3 when a document differs from what the results say."
    })
final class DocsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--root",
      defaultValue = ".",
      description = "The repository folder (default: the current folder).")
  Path root;

  @Option(names = "--check", description = "Only report documents that are out of date.")
  boolean check;

  @Override
  public Integer call() throws Exception {
    var out = spec.commandLine().getOut();
    if (check) {
      List<Path> stale =
          Docs.render(root).stream()
              .filter(d -> !Files.exists(d.path()) || !d.text().equals(read(d.path())))
              .map(Docs.Document::path)
              .toList();
      stale.forEach(p -> out.println("docs: out of date: " + p));
      out.println(stale.isEmpty() ? "docs: up to date" : "docs: run 'edl-dist docs' to render");
      return stale.isEmpty() ? 0 : Main.CHECK_FAILED;
    }
    List<Path> changed = Docs.write(root);
    changed.forEach(p -> out.println("docs: rendered " + p));
    if (changed.isEmpty()) {
      out.println("docs: up to date");
    }
    return 0;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
