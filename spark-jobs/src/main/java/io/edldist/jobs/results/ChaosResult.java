package io.edldist.jobs.results;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A chaos run: every scenario's result, with when and where it ran. Written to {@code
 * reliability/chaos-<stamp>.json}; RELIABILITY.md is rendered from the newest one.
 *
 * @param stamp when the run started, {@code yyyyMMdd-HHmmss}
 * @param commit the git commit of the code that ran, when known
 */
public record ChaosResult(
    String kind, String stamp, String commit, int cores, List<ScenarioResult> scenarios) {
  public static final String KIND = "chaos";

  public ChaosResult {
    Objects.requireNonNull(scenarios);
  }

  /**
   * {@code chaos: scenarios=S kills=K rows_checked=R duplicates=D lost=L}, sums of what was
   * measured.
   */
  public String line() {
    return String.format(
        Locale.ROOT,
        "chaos: scenarios=%d kills=%d rows_checked=%d duplicates=%d lost=%d",
        scenarios.size(),
        scenarios.stream().mapToInt(ScenarioResult::kills).sum(),
        sum(ScenarioResult::rowsChecked),
        sum(ScenarioResult::duplicates),
        sum(ScenarioResult::lost));
  }

  public boolean passed() {
    return !scenarios.isEmpty() && scenarios.stream().allMatch(ScenarioResult::passed);
  }

  private long sum(java.util.function.Function<ScenarioResult, Long> count) {
    return scenarios.stream().map(count).filter(Objects::nonNull).mapToLong(Long::longValue).sum();
  }
}
