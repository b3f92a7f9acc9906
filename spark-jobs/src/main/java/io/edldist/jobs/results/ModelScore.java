package io.edldist.jobs.results;

/**
 * One evaluated model, as the run report shows it.
 *
 * @param role {@code teacher}, {@code student_kd}, {@code student_baseline}, {@code
 *     student_blockwise}: the key of its section in {@code summary.json}
 * @param agreement the share of test samples on which it predicts what the teacher predicts
 */
public record ModelScore(
    String role,
    String id,
    String arch,
    double accuracy,
    double agreement,
    long params,
    long sizeBytes,
    double latencyBatch1Ms,
    double latencyBatch256Ms) {}
