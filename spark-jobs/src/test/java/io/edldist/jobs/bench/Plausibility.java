package io.edldist.jobs.bench;

import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.results.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What makes a measured infer comparison believable, checked from its results alone: every side ran
 * in every round, the rows are whole copies of the samples, each ratio and the intercept can be
 * recomputed from the stored seconds, and the bare loop never ran faster than its own sweep allows.
 */
final class Plausibility {
  private static final double EPS = 1e-9;

  private Plausibility() {}

  /** Every problem found; empty when the comparison is plausible. */
  static List<String> problems(BenchResult.Infer r) {
    List<String> out = new ArrayList<>();
    int rounds = r.sparkSeconds().size();
    if (rounds == 0) {
      out.add("no measured round");
    }
    sameSize(out, "bare_seconds", r.bareSeconds(), rounds);
    sameSize(out, "ratios", r.ratios(), rounds);
    sameSize(out, "disturbed", r.disturbed(), rounds);
    positive(out, "spark_seconds", r.sparkSeconds());
    positive(out, "bare_seconds", r.bareSeconds());
    recomputed(out, "ratios", r.ratios(), r.bareSeconds(), r.sparkSeconds());
    if (r.rows() % r.sourceRows() != 0) {
      out.add(r.rows() + " rows are not whole copies of " + r.sourceRows() + " samples");
    }
    long copies = r.rows() / r.sourceRows();
    if (copies > 1) {
      sameSize(out, "alone_seconds", r.aloneSeconds(), rounds);
      List<Double> intercepts = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        intercepts.add((copies * r.aloneSeconds().get(i) - r.sparkSeconds().get(i)) / (copies - 1));
      }
      close(out, "intercept_seconds", r.interceptSeconds(), Stats.median(r.kept(intercepts)));
    }
    double sweep = r.bareBest().samplesPerS();
    for (double s : r.bareSeconds()) {
      if (r.rows() / s > 2 * sweep) {
        out.add(
            String.format(
                Locale.ROOT,
                "a bare round ran at %.0f rows/s, over twice its sweep's %.0f",
                r.rows() / s,
                sweep));
      }
    }
    if (r.pytorchBest() != null) {
      sameSize(out, "pytorch_seconds", r.pytorchSeconds(), rounds);
      positive(out, "pytorch_seconds", r.pytorchSeconds());
      recomputed(out, "pytorch_ratios", r.pytorchRatios(), r.pytorchSeconds(), r.sparkSeconds());
      recomputed(
          out,
          "bare_vs_pytorch_ratios",
          r.bareVsPytorchRatios(),
          r.pytorchSeconds(),
          r.bareSeconds());
    }
    return out;
  }

  /** Whether each top-level ratio is the median of its rounds' ratios. */
  static List<String> problems(BenchResult r) {
    List<String> out = new ArrayList<>();
    BenchResult.Infer i = r.infer();
    close(out, "infer_efficiency", r.inferEfficiency(), i.median(i.ratios()));
    close(out, "infer_intercept_s", r.inferInterceptS(), i.interceptSeconds());
    close(out, "bare_loop_sweep_rate", r.bareLoopSweepRate(), i.bareBest().samplesPerS());
    if (i.pytorchBest() != null) {
      close(out, "infer_vs_pytorch_cnn", r.inferVsPytorchCnn(), i.median(i.pytorchRatios()));
      close(
          out,
          "bare_loop_vs_pytorch_cnn",
          r.bareLoopVsPytorchCnn(),
          i.median(i.bareVsPytorchRatios()));
    }
    if (r.torchscript() != null) {
      BenchResult.Infer t = r.torchscript();
      close(out, "infer_vs_pytorch", r.inferVsPytorch(), t.median(t.pytorchRatios()));
      out.addAll(problems(t));
    }
    out.addAll(problems(i));
    return out;
  }

  private static void sameSize(List<String> out, String what, List<?> list, int rounds) {
    if (list == null || list.size() != rounds) {
      out.add(what + " holds " + (list == null ? "nothing" : list.size()) + " of " + rounds);
    }
  }

  private static void positive(List<String> out, String what, List<Double> seconds) {
    if (seconds != null && seconds.stream().anyMatch(s -> !(s > 0))) {
      out.add(what + " holds a side that did not run: " + seconds);
    }
  }

  private static void recomputed(
      List<String> out, String what, List<Double> ratios, List<Double> a, List<Double> b) {
    if (ratios == null || a == null || b == null || ratios.size() != a.size()) {
      out.add(what + " cannot be recomputed");
      return;
    }
    for (int i = 0; i < ratios.size(); i++) {
      close(out, what + "[" + i + "]", ratios.get(i), a.get(i) / b.get(i));
    }
  }

  private static void close(List<String> out, String what, Double stored, Double recomputed) {
    if (stored == null
        || recomputed == null
        || Math.abs(stored - recomputed) > EPS * Math.max(1, Math.abs(recomputed))) {
      out.add(what + " is " + stored + ", recomputed " + recomputed);
    }
  }
}
