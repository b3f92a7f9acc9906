package io.edldist.jobs.results;

import java.util.Map;

/**
 * One run of {@code edl-dist bench --scale}, as written to {@code bench/results/<stamp>.json}:
 * infer over samples tables of growing size (the bench lake's samples repeated under new ids), and
 * student training from the largest on the streaming path against the smallest in memory. The
 * top-level keys are read by automated checks: keep them stable.
 *
 * @param inferUsPerRow per table size (rows), microseconds of wall time per scored row of a whole
 *     {@code infer}
 * @param inferSeconds per table size, the wall seconds of that {@code infer}
 * @param inferCostGrowth per-row cost at the largest size over the smallest
 * @param inferInterceptS the intercept of the least-squares line of seconds against rows
 * @param softLabelBytesPerRow data bytes of {@code soft_labels} per row, at the largest size
 * @param logitsBytes bytes of one row's logits as floats, beside which that is measured
 * @param driverHeapPeakMb the largest driver heap peak over all sizes
 * @param driverHeapPeakMbBySize per table size, the driver's heap peak during its {@code infer}
 * @param trainStreamSamplesPerS KD training samples/s from the largest table, streaming path
 * @param trainMemorySamplesPerS KD training samples/s from the smallest table, in-memory path
 */
public record ScaleResult(
    String kind,
    String stamp,
    String commit,
    int cores,
    int sparkTaskSlots,
    String teacher,
    Map<String, Double> inferUsPerRow,
    Map<String, Double> inferSeconds,
    double inferCostGrowth,
    double inferInterceptS,
    long scaleRowsMax,
    double softLabelBytesPerRow,
    int logitsBytes,
    double driverHeapPeakMb,
    Map<String, Double> driverHeapPeakMbBySize,
    double trainStreamSamplesPerS,
    double trainMemorySamplesPerS,
    long trainStreamRows,
    long trainMemoryRows) {
  public static final String KIND = "scale";
}
