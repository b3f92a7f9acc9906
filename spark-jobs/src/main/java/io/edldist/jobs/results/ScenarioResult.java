package io.edldist.jobs.results;

/**
 * What one chaos scenario did and measured. The soft-label counts are those of the scenario's table
 * compared with the clean reference by id; they are null for a scenario that checks no soft-label
 * table (the report shows "-"), never a stand-in zero.
 *
 * @param kills processes killed with SIGKILL and seen to exit
 * @param rowsChecked rows of the scenario's table compared with the reference
 * @param cleanSeconds the same work without the fault, when the run measured it
 * @param seconds the scenario's work with the fault, from its start to its end
 * @param recoverySeconds from the fault to the end of the recovery (see RELIABILITY.md)
 * @param finding what it found, in a sentence, with the figures it measured
 */
public record ScenarioResult(
    String name,
    String fault,
    int kills,
    Long rowsChecked,
    Long duplicates,
    Long lost,
    Double maxLogitDiff,
    Double cleanSeconds,
    double seconds,
    double recoverySeconds,
    boolean passed,
    String finding) {

  /** The result of a scenario that checks no soft-label table: its counts are not taken. */
  public static ScenarioResult withoutTable(
      String name,
      String fault,
      int kills,
      Double cleanSeconds,
      double seconds,
      double recoverySeconds,
      boolean passed,
      String finding) {
    return new ScenarioResult(
        name,
        fault,
        kills,
        null,
        null,
        null,
        null,
        cleanSeconds,
        seconds,
        recoverySeconds,
        passed,
        finding);
  }
}
