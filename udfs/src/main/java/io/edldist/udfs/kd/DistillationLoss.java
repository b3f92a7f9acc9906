package io.edldist.udfs.kd;

import ai.djl.ndarray.NDArray;

/**
 * The distillation loss on DJL tensors, averaged over the batch:
 *
 * <pre>
 * alpha * CE(label, student) + (1 - alpha) * T^2 * KL(softmax(teacher/T) || softmax(student/T))
 * </pre>
 *
 * Teacher logits are stored at temperature 1 and scaled here, so one soft-label table serves any
 * temperature. Same definition as {@link KdMath#loss}, which the tests compare it with.
 */
public final class DistillationLoss {
  /** Cross-entropy with the hard labels only (alpha 1): how teachers are trained. */
  public static final DistillationLoss HARD_LABELS = new DistillationLoss(1, 1);

  private final double temperature;
  private final double alpha;

  public DistillationLoss(double temperature, double alpha) {
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    if (alpha < 0 || alpha > 1) {
      throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
    }
    this.temperature = temperature;
    this.alpha = alpha;
  }

  @Override
  public String toString() {
    return "distillation(temperature=" + temperature + ", alpha=" + alpha + ")";
  }

  /** True when the loss reads teacher logits (alpha below 1). */
  public boolean needsTeacher() {
    return alpha < 1;
  }

  /**
   * @param student student logits [B, C]
   * @param labels hard labels [B] (int)
   * @param teacher teacher logits at temperature 1 [B, C]; unused (may be null) when alpha = 1
   * @return scalar loss
   */
  public NDArray evaluate(NDArray student, NDArray labels, NDArray teacher) {
    int classes = (int) student.getShape().get(1);
    NDArray total = null;
    if (alpha > 0) {
      NDArray logQ = student.logSoftmax(1);
      NDArray ce = labels.oneHot(classes).mul(logQ).sum(new int[] {1}).neg().mean();
      total = ce.mul((float) alpha);
    }
    if (alpha < 1) {
      float t = (float) temperature;
      NDArray logQ = student.div(t).logSoftmax(1);
      NDArray logP = teacher.div(t).logSoftmax(1);
      NDArray kl = logP.exp().mul(logP.sub(logQ)).sum(new int[] {1}).mean();
      NDArray soft = kl.mul((float) ((1 - alpha) * temperature * temperature));
      total = total == null ? soft : total.add(soft);
    }
    return total;
  }
}
