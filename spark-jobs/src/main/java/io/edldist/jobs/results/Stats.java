package io.edldist.jobs.results;

import java.util.List;

/** The statistics results files quote. */
public final class Stats {
  private Stats() {}

  /** The median; NaN for no values. */
  public static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
