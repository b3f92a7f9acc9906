package io.edldist.jobs.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Sides of a comparison measured round by round: each round runs every side back to back, and which
 * side goes first rotates from round to round, so a slow spell of a shared machine and the order
 * itself fall on every side alike. Unmeasured warm-up rounds come first. A ratio is then the median
 * of the per-round ratios, never the ratio of two medians.
 *
 * <p>A round can be checked after it ran: one that a check calls disturbed (for example a baseline
 * running well under the rate it reached alone) is run again, up to {@link #RETRIES} times, and
 * kept marked as disturbed if it never passes.
 */
public final class Pairs {
  /** One side: its measured seconds; {@code warmup} is true for the unmeasured first rounds. */
  @FunctionalInterface
  public interface Side {
    double seconds(boolean warmup);
  }

  /** The measured seconds of two sides, pair by pair. */
  public record Seconds(List<Double> a, List<Double> b) {
    /** Per pair, a's seconds over b's: how many times faster b is. */
    public List<Double> aOverB() {
      return ratios(a, b);
    }
  }

  /**
   * The measured seconds of every side, round by round ({@code seconds.get(side).get(round)}),
   * which rounds stayed disturbed after their reruns, and how many reruns there were.
   */
  public record Rounds(List<List<Double>> seconds, List<Boolean> disturbed, int reruns) {
    public List<Double> side(int i) {
      return seconds.get(i);
    }

    public int disturbedCount() {
      return (int) disturbed.stream().filter(d -> d).count();
    }
  }

  static final int WARMUP = 1;
  static final int RETRIES = 2;

  private Pairs() {}

  /** Per pair, a's seconds over b's. */
  public static List<Double> ratios(List<Double> a, List<Double> b) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      out.add(a.get(i) / b.get(i));
    }
    return out;
  }

  /** Two sides, a first in the first measured pair; no round is checked. */
  public static Seconds measure(String what, int repeats, Side a, Side b) {
    Rounds r = rounds(what, repeats, List.of(a, b), seconds -> false);
    return new Seconds(r.side(0), r.side(1));
  }

  /**
   * Every side once per round, {@code repeats} measured rounds after the warm-up; a measured round
   * whose seconds (one per side, in the order of {@code sides}) {@code disturbed} accepts is run
   * again.
   */
  public static Rounds rounds(
      String what, int repeats, List<Side> sides, Predicate<double[]> disturbed) {
    int k = sides.size();
    List<List<Double>> out = new ArrayList<>();
    for (int s = 0; s < k; s++) {
      out.add(new ArrayList<>());
    }
    List<Boolean> flags = new ArrayList<>();
    int reruns = 0;
    for (int r = -WARMUP; r < repeats; r++) {
      boolean warmup = r < 0;
      for (int attempt = 0; ; attempt++) {
        double[] seconds = new double[k];
        for (int j = 0; j < k; j++) {
          int s = Math.floorMod(r + j, k);
          seconds[s] = sides.get(s).seconds(warmup);
        }
        boolean bad = !warmup && disturbed.test(seconds);
        System.err.printf(
            Locale.ROOT,
            "bench: %s %s: %s s%s%n",
            what,
            warmup ? "warm-up" : "round " + (r + 1) + "/" + repeats,
            Arrays.toString(Arrays.stream(seconds).map(x -> Math.round(x * 100) / 100.0).toArray()),
            bad ? (attempt < RETRIES ? ", disturbed: again" : ", disturbed") : "");
        if (warmup) {
          break;
        }
        if (bad && attempt < RETRIES) {
          reruns++;
          continue;
        }
        for (int s = 0; s < k; s++) {
          out.get(s).add(seconds[s]);
        }
        flags.add(bad);
        break;
      }
    }
    return new Rounds(out, flags, reruns);
  }

  public static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
