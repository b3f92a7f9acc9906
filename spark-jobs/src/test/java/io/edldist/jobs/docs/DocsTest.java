package io.edldist.jobs.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.results.ChaosResult;
import io.edldist.jobs.results.ResultsFiles;
import io.edldist.jobs.results.ScenarioResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The documents are what the results files say, and the renderer says it honestly. */
class DocsTest {
  private static final Path REPO = Path.of("..");

  @TempDir Path dir;

  @Test
  void committedDocumentsAreWhatTheResultsFilesSay() throws IOException {
    assumeTrue(
        new CodeSince(REPO).hasHistory(),
        "the documents say what git tells of the code since each run: this needs the whole history");
    List<Docs.Document> docs = Docs.render(REPO);
    assertThat(docs)
        .extracting(d -> d.path().getFileName().toString())
        .contains("BENCHMARKS.md", "RELIABILITY.md", "README.md");
    for (Docs.Document d : docs) {
      assertThat(Files.readString(d.path()))
          .as(d.path() + " differs from its results files: run 'bin/edl-dist docs'")
          .isEqualTo(d.text());
    }
  }

  @Test
  void benchmarksShowPairsMissedGoalsAndEveryRunNewestFirst() throws IOException {
    Path results = Files.createDirectories(dir.resolve(Docs.BENCH_RESULTS));
    Files.writeString(
        results.resolve("20260101-000000.json"),
        "{\"timestamp\": \"2026-01-01T00:00\", \"infer_efficiency\": 1.3,"
            + " \"end_to_end_speedup\": 4.4, \"offline_kd_speedup\": 8.0}\n");
    ResultsFiles.write(results, "20260102-000000.json", paired(0.85, List.of(0.80, 0.85, 0.90)));
    String md = benchmarks();
    assertThat(md)
        .contains("## Run `20260102-000000`")
        .contains("| `infer_efficiency` | 0.85 | 0.80, 0.85, 0.90 | >= 0.90 *not met* |")
        .contains("| `offline_kd_speedup` | 9.00 | 9.00 | >= 5 |")
        .contains("| `end_to_end_speedup` | 4.00 | 4.00 | > 1 |")
        .contains("| `infer_efficiency_resnet` | 0.96 | 0.80, 0.85, 0.90 | >= 0.95 |")
        .contains("| `end_to_end_speedup_resnet` | 3.00 | 4.00 | > 1 |")
        .contains("teacher `teacher@r` (resnet18, 11,191,242 parameters, 37,016,576 MACs")
        .contains("on the first 4,096 samples padded to 3x32x32")
        .contains("beyond its rows a call costs 2.00 s, 10.0% of the Spark side");
    int newer = md.indexOf("| `20260102-000000` |");
    int older = md.indexOf("| `20260101-000000` |");
    assertThat(newer).isPositive().isLessThan(older);
    // the older run's end-to-end figure was arithmetic, not a measurement: not shown
    assertThat(md.substring(older))
        .startsWith("| `20260101-000000` | - | *medians* | 1.30 | 8.00 | - |");
  }

  @Test
  void aRatioAboveItsCeilingIsMarkedSuspect() throws IOException {
    Path results = Files.createDirectories(dir.resolve(Docs.BENCH_RESULTS));
    ResultsFiles.write(results, "20260102-000000.json", paired(1.05, List.of(1.02, 1.05, 1.08)));
    String md = benchmarks();
    assertThat(md)
        .contains(
            "| `infer_efficiency` | 1.05 *suspect: above its ceiling* | 1.02, 1.05, 1.08 | >= 0.90 |"
                + " 1.00 |");
  }

  /** BENCHMARKS.md as rendered from this test's folder. */
  private String benchmarks() {
    return Docs.render(dir).stream()
        .filter(d -> d.path().endsWith("BENCHMARKS.md"))
        .findFirst()
        .orElseThrow()
        .text();
  }

  @Test
  void readmeQuotesTheResnetRatiosOfTheNewestBench() {
    String readme = "intro\n<!-- figures: bench -->\nprevious figures\n<!-- /figures -->\nrest\n";
    String out =
        ReadmeFigures.apply(
            readme,
            new ReadmeFigures.Newest(
                null,
                null,
                "b.json",
                paired(0.9, List.of(0.9)),
                null,
                null,
                null,
                null,
                new CodeSince(dir)));
    assertThat(out)
        .startsWith(
            "intro\n<!-- figures: bench -->\nIn the newest bench run (`bench/results/b.json`")
        .contains(
            "with a ResNet-18 teacher (37,016,576 MACs per sample): 6.00x offline, 3.00x end to"
                + " end, infer at 0.96 of the bare loop")
        .endsWith("<!-- /figures -->\nrest\n")
        .doesNotContain("previous figures");
  }

  @Test
  void reliabilityShowsUnmeasuredCountsAsDashesAndSumsOnlyMeasuredOnes() throws IOException {
    Path folder = Files.createDirectories(dir.resolve(Docs.RELIABILITY));
    ScenarioResult diffed =
        new ScenarioResult("a", "f", 1, 7000L, 0L, 0L, 0.0, 10.0, 20.0, 5.0, true, "fine");
    ScenarioResult notDiffed =
        new ScenarioResult("b", "g", 0, null, null, null, null, null, 3.0, 3.0, true, "fine too");
    ResultsFiles.write(
        folder,
        "chaos-20260101-000000.json",
        new ChaosResult(ChaosResult.KIND, "20260101-000000", "abc", 2, List.of(diffed, notDiffed)));
    String md =
        Docs.render(dir).stream()
            .filter(d -> d.path().endsWith("RELIABILITY.md"))
            .findFirst()
            .orElseThrow()
            .text();
    assertThat(md)
        .contains("chaos: scenarios=2 kills=1 rows_checked=7000 duplicates=0 lost=0")
        .contains("| b | g | 0 | - | - | - | - | - | 3.0 | 3.0 | pass |");
  }

  private static BenchResult paired(double efficiency, List<Double> pairs) {
    BenchResult.Infer infer =
        new BenchResult.Infer(
            70000,
            70000L,
            30.0,
            256,
            0.5,
            2.0,
            new BenchResult.BareLoop(2, 1, 256, 4000, null),
            List.of(new BenchResult.BareLoop(2, 1, 256, 4000, null)),
            List.of(20.0, 20.0, 20.0),
            List.of(17.0, 17.0, 18.0),
            null,
            pairs,
            pairs.stream().map(p -> false).toList(),
            0,
            new BenchResult.BareLoop(1, 2, 64, 3000, "project"),
            List.of(new BenchResult.BareLoop(1, 2, 64, 3000, "project")),
            List.of(23.0, 23.0, 24.0),
            List.of(1.15, 1.15, 1.2),
            List.of(1.35, 1.35, 1.33));
    BenchResult.Training training =
        new BenchResult.Training(
            20000,
            20,
            128,
            "mlp-128",
            List.of(90.0),
            List.of(10.0),
            List.of(12.5),
            List.of(9.0),
            List.of(4.0));
    return new BenchResult(
        BenchResult.KIND,
        BenchResult.SCHEMA,
        "20260102-000000",
        null,
        "abc",
        2,
        2,
        3,
        "teacher@x",
        efficiency,
        9.0,
        4.0,
        null,
        null,
        null,
        0.5,
        0.5,
        2.0,
        infer.bareBest(),
        4000.0,
        0,
        0.85,
        1.15,
        1.35,
        0.96,
        6.0,
        3.0,
        infer,
        infer,
        training,
        new BenchResult.ResNetRun(
            "teacher@r",
            "resnet18",
            11_191_242,
            37_016_576,
            4096,
            new int[] {3, 32, 32},
            infer,
            training),
        null,
        null);
  }

  @Test
  void resultsFilesKeepTheirKeys() {
    String json = ResultsFiles.json(paired(0.9, List.of(0.9)));
    assertThat(json)
        .contains("\"kind\" : \"bench\"")
        .contains("\"infer_efficiency\" : 0.9")
        .contains("\"offline_kd_speedup\" : 9.0")
        .contains("\"end_to_end_speedup\" : 4.0")
        .contains("\"infer_efficiency_resnet\" : 0.96")
        .contains("\"offline_kd_speedup_resnet\" : 6.0")
        .contains("\"end_to_end_speedup_resnet\" : 3.0")
        .contains("\"infer_vs_pytorch\" : 0.85")
        .contains("\"infer_vs_pytorch_cnn\" : 1.15")
        .contains("\"bare_loop_vs_pytorch_cnn\" : 1.35")
        .contains("\"infer_intercept_s\" : 2.0")
        .contains("\"infer_noop_s\" : 0.5")
        .contains("\"bare_loop_sweep_rate\" : 4000.0")
        .contains("\"pairs_disturbed\" : 0")
        .contains("\"spark_seconds\"");
  }
}
