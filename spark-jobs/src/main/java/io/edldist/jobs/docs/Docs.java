package io.edldist.jobs.docs;

import com.fasterxml.jackson.databind.JsonNode;
import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.results.BlockwiseRun;
import io.edldist.jobs.results.ChaosResult;
import io.edldist.jobs.results.QuickstartRun;
import io.edldist.jobs.results.ResultsFiles;
import io.edldist.jobs.results.ScaleResult;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The documents rendered from results files: BENCHMARKS.md and RELIABILITY.md whole, and the
 * figures of README.md. {@code bin/edl-dist docs} writes them; a test fails when a committed
 * document differs from what this renders, so no figure in them is typed by hand.
 */
public final class Docs {
  /** A rendered document: its path under the repository root and its text. */
  public record Document(Path path, String text) {}

  public static final String BENCH_RESULTS = "bench/results";
  public static final String RELIABILITY = "reliability";

  private Docs() {}

  /**
   * Every document whose inputs are under {@code root}: BENCHMARKS.md when {@code bench/results/}
   * exists, RELIABILITY.md when a chaos result does, the README's figures when README.md does.
   */
  public static List<Document> render(Path root) {
    List<BenchmarksMarkdown.Run> bench = new ArrayList<>();
    String quickstartFile = null;
    QuickstartRun quickstart = null;
    String blockwiseFile = null;
    String scaleFile = null;
    ScaleResult scale = null;
    BlockwiseRun blockwise = null;
    for (Path f : ResultsFiles.list(root.resolve(BENCH_RESULTS), "")) {
      String name = f.getFileName().toString();
      String kind = ResultsFiles.read(f, JsonNode.class).path("kind").asText(BenchResult.KIND);
      switch (kind) {
        case BenchResult.KIND ->
            bench.add(new BenchmarksMarkdown.Run(name, ResultsFiles.read(f, BenchResult.class)));
        case QuickstartRun.KIND -> {
          quickstartFile = name;
          quickstart = ResultsFiles.read(f, QuickstartRun.class);
        }
        case ScaleResult.KIND -> {
          scaleFile = name;
          scale = ResultsFiles.read(f, ScaleResult.class);
        }
        case BlockwiseRun.KIND -> {
          blockwiseFile = name;
          blockwise = ResultsFiles.read(f, BlockwiseRun.class);
        }
        default -> {
          // other kinds have documents of their own
        }
      }
    }
    bench.sort(java.util.Comparator.comparing(BenchmarksMarkdown.Run::name));
    BenchmarksMarkdown.Run newestBench = null;
    for (BenchmarksMarkdown.Run r : bench) {
      if (r.result().paired()) {
        newestBench = r;
      }
    }
    List<Path> chaosFiles = ResultsFiles.list(root.resolve(RELIABILITY), "chaos-");
    Path chaosFile = chaosFiles.isEmpty() ? null : chaosFiles.get(chaosFiles.size() - 1);
    ChaosResult chaos = chaosFile == null ? null : ResultsFiles.read(chaosFile, ChaosResult.class);

    List<Document> docs = new ArrayList<>();
    if (Files.isDirectory(root.resolve(BENCH_RESULTS))) {
      docs.add(
          new Document(
              root.resolve("BENCHMARKS.md"),
              BenchmarksMarkdown.render(bench, scaleFile, scale, new CodeSince(root))));
    }
    if (chaos != null) {
      docs.add(
          new Document(
              root.resolve("RELIABILITY.md"),
              ReliabilityMarkdown.render(
                  chaosFile.getFileName().toString(),
                  chaos,
                  Files.exists(root.resolve(ReliabilityMarkdown.TIMELINE)),
                  new CodeSince(root).note(chaos.commit(), "bin/edl-dist chaos", "chaos"))));
    }
    Path readme = root.resolve("README.md");
    if (!Files.exists(readme)) {
      return docs;
    }
    docs.add(
        new Document(
            readme,
            ReadmeFigures.apply(
                read(readme),
                new ReadmeFigures.Newest(
                    quickstartFile,
                    quickstart,
                    newestBench == null ? null : newestBench.file(),
                    newestBench == null ? null : newestBench.result(),
                    blockwiseFile,
                    blockwise,
                    chaosFile == null ? null : chaosFile.getFileName().toString(),
                    chaos,
                    new CodeSince(root)))));
    return docs;
  }

  /** Writes every document; returns those whose text changed. */
  public static List<Path> write(Path root) {
    List<Path> changed = new ArrayList<>();
    for (Document d : render(root)) {
      if (!d.text().equals(Files.exists(d.path()) ? read(d.path()) : null)) {
        try {
          Files.writeString(d.path(), d.text());
        } catch (IOException e) {
          throw EdlException.cannot("write " + d.path(), e, "Check that it is writable");
        }
        changed.add(d.path());
      }
    }
    return changed;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw EdlException.cannot("read " + file, e, "Run this from the repository's root folder");
    }
  }
}
