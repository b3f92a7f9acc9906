package io.edldist.jobs.docs;

import static io.edldist.jobs.docs.Format.count;
import static io.edldist.jobs.docs.Format.f;
import static io.edldist.jobs.docs.Format.ratio;

import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.results.BlockwiseRun;
import io.edldist.jobs.results.ChaosResult;
import io.edldist.jobs.results.ModelScore;
import io.edldist.jobs.results.QuickstartRun;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The README's figures: every number the README quotes sits between {@code <!-- figures: NAME -->}
 * and {@code <!-- /figures -->} and is rendered here from the newest results file of its kind.
 */
final class ReadmeFigures {
  private static final Pattern BLOCK =
      Pattern.compile("(<!-- figures: ([a-z-]+) -->\n)(.*?)(<!-- /figures -->)", Pattern.DOTALL);

  /** The newest result of each kind, each possibly null. */
  record Newest(
      String quickstartFile,
      QuickstartRun quickstart,
      String benchFile,
      BenchResult bench,
      String blockwiseFile,
      BlockwiseRun blockwise,
      String chaosFile,
      ChaosResult chaos,
      CodeSince since) {}

  private ReadmeFigures() {}

  static String apply(String readme, Newest n) {
    Map<String, Function<Newest, String>> blocks =
        Map.of(
            "quickstart", ReadmeFigures::quickstart,
            "bench", ReadmeFigures::bench,
            "blockwise", ReadmeFigures::blockwise,
            "chaos", ReadmeFigures::chaos);
    Matcher m = BLOCK.matcher(readme);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      Function<Newest, String> render = blocks.get(m.group(2));
      if (render == null) {
        throw new IllegalStateException("README: no figures named " + m.group(2));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + render.apply(n) + m.group(4)));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String quickstart(Newest n) {
    QuickstartRun q = n.quickstart();
    if (q == null) {
      return "No measured quickstart yet: run `bin/edl-dist quickstart --results bench/results`.\n";
    }
    StringBuilder s =
        new StringBuilder(
            f(
                "Measured by `bin/edl-dist quickstart --results bench/results` on %s (code `%s`,"
                    + " %d cores; `bench/results/%s`), %,d train and %,d test samples of `%s`.%s\n\n",
                q.stamp(),
                q.commit() == null ? "unknown" : q.commit(),
                q.cores(),
                n.quickstartFile(),
                q.train(),
                q.test(),
                q.data(),
                n.since()
                    .note(
                        q.commit(),
                        "bin/edl-dist quickstart --results bench/results",
                        "quickstart",
                        "ingest",
                        "teacher",
                        "evaluate")));
    s.append(
        "| model | arch | test accuracy | agreement with teacher | parameters | size |"
            + " ms/sample, batch 1 | ms/sample, batch 256 |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    ModelScore kd = null;
    ModelScore baseline = null;
    for (ModelScore m : q.models()) {
      s.append(
          f(
              "| %s | `%s` | %.4f | %.4f | %,d | %,.0f KB | %.3f | %.4f |\n",
              m.role(),
              m.arch(),
              m.accuracy(),
              m.agreement(),
              m.params(),
              m.sizeBytes() / 1024.0,
              m.latencyBatch1Ms(),
              m.latencyBatch256Ms()));
      if (m.role().equals("student_kd")) {
        kd = m;
      } else if (m.role().equals("student_baseline")) {
        baseline = m;
      }
    }
    if (kd != null && baseline != null) {
      s.append(
          f(
              "\nThe KD student is %+.2f points from the hard-label baseline trained with the same"
                  + " budget and seed (the goal is +0.5).",
              100 * (kd.accuracy() - baseline.accuracy())));
    }
    s.append("\nWall time per stage:");
    q.timingsS().forEach((k, v) -> s.append(f(" %s %.0f s,", k, v)));
    s.setLength(s.length() - 1);
    return s.append(".\n").toString();
  }

  private static String bench(Newest n) {
    BenchResult b = n.bench();
    if (b == null) {
      return "No paired bench run yet: run `bin/edl-dist bench`.\n";
    }
    StringBuilder s =
        new StringBuilder(
            f(
                "In the newest bench run (`bench/results/%s`, code `%s`, medians of paired ratios): training"
                    + " the student from stored soft labels is %sx as fast as online distillation"
                    + " (the teacher's forward pass in the loop), and the whole pipeline, infer"
                    + " once then train, %sx as fast end to end; the Spark infer stage runs at %s"
                    + " of a bare DJL loop's speed%s",
                n.benchFile(),
                b.commit() == null ? "unknown" : b.commit(),
                ratio(b.offlineKdSpeedup()),
                ratio(b.endToEndSpeedup()),
                ratio(b.inferEfficiency()),
                suspect(b.inferEfficiency())));
    if (b.inferVsPytorchCnn() != null) {
      s.append(
          f(
              " and at %sx the rows/s of a plain PyTorch loop over the same rows (the bare DJL loop"
                  + " at %sx)",
              ratio(b.inferVsPytorchCnn()), ratio(b.bareLoopVsPytorchCnn())));
    }
    if (b.inferVsPytorch() != null) {
      s.append(
          f(
              "; with a teacher as cheap as the TorchScript fixture, where the pipeline's own cost"
                  + " per row is what counts, at %sx PyTorch's rows/s",
              ratio(b.inferVsPytorch())));
    }
    if (b.resnet() != null) {
      s.append(
          f(
              "; with a ResNet-18 teacher (%s MACs per sample): %sx offline, %sx end to end,"
                  + " infer at %s of the bare loop%s",
              count(b.resnet().macsPerSample()),
              ratio(b.offlineKdSpeedupResnet()),
              ratio(b.endToEndSpeedupResnet()),
              ratio(b.inferEfficiencyResnet()),
              suspect(b.inferEfficiencyResnet())));
    }
    if (b.blockwiseSpeedup2Lpt() != null && b.blockwise() != null) {
      s.append(
          f(
              "; two blockwise slots %sx one (ceiling %s)",
              ratio(b.blockwiseSpeedup2Lpt()), ratio(b.blockwise().ceilingLpt())));
    }
    if (b.inferScaling2x() != null) {
      s.append(f("; two one-core executors %sx one", ratio(b.inferScaling2x())));
    }
    return s.append(". [BENCHMARKS.md](BENCHMARKS.md) has every pair and the goals.")
        .append(n.since().note(b.commit(), "bin/edl-dist bench", "bench"))
        .append('\n')
        .toString();
  }

  /** An infer efficiency above 1 beats the predictor it runs: the bare side ran slow. */
  private static String suspect(Double efficiency) {
    return efficiency != null && efficiency > 1.0 ? " (suspect: above 1, its ceiling)" : "";
  }

  private static String blockwise(Newest n) {
    BlockwiseRun r = n.blockwise();
    if (r == null) {
      return "No measured blockwise run yet: run `bin/edl-dist blockwise --results"
          + " bench/results`.\n";
    }
    StringBuilder s =
        new StringBuilder(
            f(
                "Measured by `bin/edl-dist blockwise --results bench/results` on %s (code `%s`;"
                    + " `bench/results/%s`).%s\n\n",
                r.stamp(),
                r.commit() == null ? "unknown" : r.commit(),
                n.blockwiseFile(),
                n.since()
                    .note(
                        r.commit(),
                        "bin/edl-dist blockwise --results bench/results",
                        "blockwise",
                        "teacher")));
    s.append(
        "| model | arch | test accuracy | parameters | MACs / sample | ms/sample, batch 1 |"
            + " ms/sample, batch 256 |\n|---|---|---:|---:|---:|---:|---:|\n");
    for (var e :
        Map.of("teacher", r.teacher(), "student", r.student()).entrySet().stream()
            .sorted(Map.Entry.comparingByKey((a, b) -> b.compareTo(a)))
            .toList()) {
      BlockwiseRun.Scores m = e.getValue();
      s.append(
          f(
              "| %s | `%s` | %.4f | %,d | %,d | %.2f | %.3f |\n",
              e.getKey(),
              m.arch(),
              m.testAccuracy(),
              m.params(),
              m.macs(),
              m.latencyMsBatch1(),
              m.latencyMsBatch256()));
    }
    s.append(
        f(
            "\nThe student is %.2f points below the teacher (goal: at most 1.5) with %.1f%% of its"
                + " parameters and %.1f%% of its MACs (goal: at most 40%%); blocks replaced: %s."
                + " Stage seconds:",
            r.studentOverTeacher().accuracyDropPoints(),
            100 * r.studentOverTeacher().params(),
            100 * r.studentOverTeacher().macs(),
            String.join(", ", r.blocksReplaced())));
    r.timingsS().forEach((k, v) -> s.append(f(" %s %.0f,", k, v)));
    s.setLength(s.length() - 1);
    s.append(
        f(
            ".\n\nBlocks (the teacher's own validation accuracy: %.4f; a block is kept when"
                + " swapping it in alone costs at most `blockwise.max-drop` = %s):\n\n",
            r.teacherValidationAccuracy(), r.settings().get("blockwise.max-drop")));
    s.append(
        "| block | trained s | last batch MSE | validation accuracy alone | kept |\n"
            + "|---|---:|---:|---:|---|\n");
    r.blocks()
        .forEach(
            (name, b) ->
                s.append(
                    f(
                        "| %s | %s | %s | %s | %s |\n",
                        name,
                        b.reused() ? "reused" : f("%.0f", b.trainSeconds()),
                        b.finalMse() == null ? "-" : f("%.3f", b.finalMse()),
                        b.swapValidationAccuracy() == null
                            ? "-"
                            : f("%.3f", b.swapValidationAccuracy()),
                        r.blocksReplaced().contains(name) ? "yes" : "no")));
    return s.toString();
  }

  private static String chaos(Newest n) {
    ChaosResult c = n.chaos();
    if (c == null) {
      return "No chaos run yet: run `bin/edl-dist chaos`.\n";
    }
    return f(
        "The newest run (`reliability/%s`, code `%s`) ended with\n\n```\n%s\n```\n\nand every"
            + " scenario %s; [RELIABILITY.md](RELIABILITY.md) has each one's recovery time and"
            + " findings.%s\n",
        n.chaosFile(),
        c.commit() == null ? "unknown" : c.commit(),
        c.line(),
        c.passed() ? "passed" : "did NOT pass",
        n.since().note(c.commit(), "bin/edl-dist chaos", "chaos"));
  }
}
