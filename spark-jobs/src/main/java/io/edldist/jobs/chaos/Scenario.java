package io.edldist.jobs.chaos;

import io.edldist.jobs.results.ScenarioResult;

/**
 * One fault the chaos run injects and what it checks afterwards. A scenario works in a lake of its
 * own ({@link ChaosRun#freshLake}), so scenarios run in any order; its result carries only what it
 * measured.
 */
public interface Scenario {
  /** A short name, e.g. {@code executor-kill}. */
  String name();

  /** The fault, in a phrase. */
  String fault();

  /** Why the fault loses and duplicates nothing, for RELIABILITY.md: the mechanism it tests. */
  String why();

  ScenarioResult run(ChaosRun run);
}
