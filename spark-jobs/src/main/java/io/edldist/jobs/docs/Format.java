package io.edldist.jobs.docs;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Number formatting shared by the rendered documents. */
final class Format {
  private Format() {}

  static String f(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }

  /** A ratio with two decimals, or "-" when not measured. */
  static String ratio(Double v) {
    return v == null || v.isNaN() ? "-" : f("%.2f", v);
  }

  static String ratios(List<Double> values) {
    return values == null || values.isEmpty()
        ? "-"
        : values.stream().map(Format::ratio).collect(Collectors.joining(", "));
  }

  static String count(long v) {
    return f("%,d", v);
  }

  static String seconds(double v) {
    return f(v < 10 ? "%.2f s" : "%.1f s", v);
  }

  static String percent(double share) {
    return f("%.1f%%", 100 * share);
  }
}
