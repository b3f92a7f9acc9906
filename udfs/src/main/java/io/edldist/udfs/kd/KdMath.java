package io.edldist.udfs.kd;

/**
 * Knowledge-distillation math on plain float arrays: softmax with temperature, KL divergence, the
 * distillation loss and top-k. Used where no tensor engine is at hand (SQL functions, evaluation,
 * tests); {@link DistillationLoss} is the same loss on DJL tensors for training.
 *
 * <p>Loss: {@code alpha * CE(label, student) + (1 - alpha) * T^2 * KL(softmax(teacher / T) ||
 * softmax(student / T))}. The T^2 factor keeps the soft-target gradients on the scale of the
 * hard-label ones when T changes (Hinton et al., 2015).
 */
public final class KdMath {
  private KdMath() {}

  /** Log of softmax(logits / temperature), computed stably. */
  public static double[] logSoftmax(float[] logits, double temperature) {
    checkTemperature(temperature);
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l / temperature);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l / temperature - max);
    }
    double logSum = max + Math.log(sum);
    double[] out = new double[logits.length];
    for (int i = 0; i < logits.length; i++) {
      out[i] = logits[i] / temperature - logSum;
    }
    return out;
  }

  /** softmax(logits / temperature). */
  public static double[] softmax(float[] logits, double temperature) {
    double[] out = logSoftmax(logits, temperature);
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.exp(out[i]);
    }
    return out;
  }

  /** KL(softmax(teacher / T) || softmax(student / T)), in nats. */
  public static double kl(float[] teacher, float[] student, double temperature) {
    checkSameLength(teacher, student);
    double[] logP = logSoftmax(teacher, temperature);
    double[] logQ = logSoftmax(student, temperature);
    double kl = 0;
    for (int i = 0; i < logP.length; i++) {
      kl += Math.exp(logP[i]) * (logP[i] - logQ[i]);
    }
    return kl;
  }

  /** Entropy of softmax(logits / T), in nats: 0 for a certain teacher, ln(classes) at most. */
  public static double entropy(float[] logits, double temperature) {
    double h = 0;
    for (double logP : logSoftmax(logits, temperature)) {
      h -= Math.exp(logP) * logP;
    }
    return h;
  }

  /** Cross-entropy of the hard label under softmax(student). */
  public static double crossEntropy(int label, float[] student) {
    if (label < 0 || label >= student.length) {
      throw new IllegalArgumentException("label " + label + " outside 0.." + (student.length - 1));
    }
    return -logSoftmax(student, 1)[label];
  }

  /** The distillation loss of one sample. With alpha = 1 it is the hard-label loss alone. */
  public static double loss(
      int label, float[] student, float[] teacher, double temperature, double alpha) {
    if (alpha < 0 || alpha > 1) {
      throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
    }
    double hard = alpha == 0 ? 0 : crossEntropy(label, student);
    double soft = alpha == 1 ? 0 : temperature * temperature * kl(teacher, student, temperature);
    return alpha * hard + (1 - alpha) * soft;
  }

  /** Index of the largest value; the first one on ties. */
  public static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Indices of the k largest values, largest first; ties keep the lower index first. */
  public static int[] topK(float[] values, int k) {
    int n = Math.max(0, Math.min(k, values.length));
    int[] idx = new int[n];
    boolean[] taken = new boolean[values.length];
    for (int j = 0; j < n; j++) {
      int best = -1;
      for (int i = 0; i < values.length; i++) {
        if (!taken[i] && (best < 0 || values[i] > values[best])) {
          best = i;
        }
      }
      taken[best] = true;
      idx[j] = best;
    }
    return idx;
  }

  private static void checkTemperature(double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
  }

  private static void checkSameLength(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
    }
  }
}
