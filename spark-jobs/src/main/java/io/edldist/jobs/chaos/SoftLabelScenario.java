package io.edldist.jobs.chaos;

import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.ScenarioResult;

/** A scenario whose outcome is a soft-label table, compared with the reference by id. */
abstract class SoftLabelScenario implements Scenario {
  /**
   * Called after the fault and before the comparison. Does nothing; tests override it to damage the
   * table (drop, duplicate or change a row) and show that the comparison catches it.
   */
  protected void beforeCheck(Lake lake) {}

  SoftLabelDiff.Counts check(ChaosRun run, Lake lake) {
    beforeCheck(lake);
    return SoftLabelDiff.compare(lake, run.reference(), run.teacherId());
  }

  ScenarioResult result(
      int kills,
      SoftLabelDiff.Counts counts,
      Double cleanSeconds,
      double seconds,
      double recoverySeconds,
      boolean passed,
      String finding) {
    return new ScenarioResult(
        name(),
        fault(),
        kills,
        counts.rows(),
        counts.duplicates() + counts.extra(),
        counts.lost(),
        counts.maxLogitDiff(),
        cleanSeconds,
        seconds,
        recoverySeconds,
        passed && counts.exact(),
        finding);
  }
}
