package io.edldist.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Two sides of a comparison measured pair by pair: each pair runs both sides back to back, and
 * which side goes first alternates from pair to pair, so a slow spell of a shared machine and the
 * order itself fall on both sides alike. Unmeasured warm-up pairs come first. A ratio is then the
 * median of the per-pair ratios, never the ratio of two medians.
 */
public final class Pairs {
  /** One side: its measured seconds; {@code warmup} is true for the unmeasured first pairs. */
  @FunctionalInterface
  public interface Side {
    double seconds(boolean warmup);
  }

  /** The measured seconds of each side, pair by pair. */
  public record Seconds(List<Double> a, List<Double> b) {
    /** Per pair, a's seconds over b's: how many times faster b is. */
    public List<Double> aOverB() {
      List<Double> out = new ArrayList<>();
      for (int i = 0; i < a.size(); i++) {
        out.add(a.get(i) / b.get(i));
      }
      return out;
    }
  }

  static final int WARMUP = 1;

  private Pairs() {}

  public static Seconds measure(String what, int repeats, Side a, Side b) {
    List<Double> as = new ArrayList<>();
    List<Double> bs = new ArrayList<>();
    for (int r = -WARMUP; r < repeats; r++) {
      boolean warmup = r < 0;
      double x;
      double y;
      if (Math.floorMod(r, 2) == 0) {
        x = a.seconds(warmup);
        y = b.seconds(warmup);
      } else {
        y = b.seconds(warmup);
        x = a.seconds(warmup);
      }
      System.err.printf(
          Locale.ROOT,
          "bench: %s %s: %.2f s / %.2f s = %.3f%n",
          what,
          warmup ? "warm-up" : "pair " + (r + 1) + "/" + repeats,
          x,
          y,
          x / y);
      if (!warmup) {
        as.add(x);
        bs.add(y);
      }
    }
    return new Seconds(as, bs);
  }

  public static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
