package io.edldist.jobs.results;

import java.util.List;
import java.util.Map;

/**
 * One {@code quickstart} run written with {@code --results}: the README's quickstart figures are
 * rendered from the newest.
 *
 * @param data the input it ingested
 * @param train train samples in the lake
 * @param test test samples in the lake
 * @param timingsS wall seconds of each stage
 */
public record QuickstartRun(
    String kind,
    String stamp,
    String commit,
    int cores,
    String data,
    long train,
    long test,
    List<ModelScore> models,
    Map<String, Double> timingsS) {
  public static final String KIND = "quickstart";
}
