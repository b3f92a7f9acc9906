package io.edldist.udfs.kd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Against values computed by hand (see the comments) and with Python's math module. */
class KdMathTest {
  private static final float LN3 = (float) Math.log(3);

  @Test
  void softmaxAtTemperatureOneAndTwo() {
    // e^1, e^2, e^3 over their sum 30.19288
    assertThat(KdMath.softmax(new float[] {1, 2, 3}, 1))
        .containsExactly(new double[] {0.0900306, 0.2447285, 0.6652410}, within(1e-6));
    // logits halved: e^0.5, e^1, e^1.5 over 8.84869
    assertThat(KdMath.softmax(new float[] {1, 2, 3}, 2))
        .containsExactly(new double[] {0.1863237, 0.3071959, 0.5064804}, within(1e-6));
  }

  @Test
  void softmaxIsStableForLargeLogits() {
    double[] p = KdMath.softmax(new float[] {1000, 1000}, 1);
    assertThat(p).containsExactly(new double[] {0.5, 0.5}, within(1e-12));
  }

  @Test
  void klOfKnownDistributions() {
    // p = (0.75, 0.25), q = (0.5, 0.5): 0.75 ln 1.5 + 0.25 ln 0.5
    assertThat(KdMath.kl(new float[] {LN3, 0}, new float[] {0, 0}, 1))
        .isCloseTo(0.1308120, within(1e-6));
    // at T = 2, p = (sqrt3, 1) / (sqrt3 + 1)
    assertThat(KdMath.kl(new float[] {LN3, 0}, new float[] {0, 0}, 2))
        .isCloseTo(0.0363408, within(1e-6));
    assertThat(KdMath.kl(new float[] {1, 2}, new float[] {1, 2}, 3)).isCloseTo(0, within(1e-12));
  }

  @Test
  void entropyOfKnownDistributions() {
    // p = (0.75, 0.25): -(0.75 ln 0.75 + 0.25 ln 0.25)
    assertThat(KdMath.entropy(new float[] {LN3, 0}, 1)).isCloseTo(0.5623351, within(1e-6));
    // uniform over 4 classes at any temperature: ln 4
    assertThat(KdMath.entropy(new float[] {5, 5, 5, 5}, 3)).isCloseTo(Math.log(4), within(1e-12));
  }

  @Test
  void alphaOneIsCrossEntropyAlone() {
    float[] student = {0, 0};
    assertThat(KdMath.loss(0, student, new float[] {LN3, 0}, 4, 1))
        .isCloseTo(Math.log(2), within(1e-9));
  }

  @Test
  void alphaZeroIsTemperatureSquaredTimesKl() {
    float[] teacher = {LN3, 0};
    float[] student = {0, 0};
    assertThat(KdMath.loss(1, student, teacher, 2, 0)).isCloseTo(4 * 0.0363408, within(1e-6));
    assertThat(KdMath.loss(1, student, teacher, 2, 0))
        .isCloseTo(4 * KdMath.kl(teacher, student, 2), within(1e-12));
  }

  @Test
  void mixedLossWeighsBothTerms() {
    // 0.5 * ln 2 + 0.5 * 4 * 0.0363408
    assertThat(KdMath.loss(0, new float[] {0, 0}, new float[] {LN3, 0}, 2, 0.5))
        .isCloseTo(0.4192552, within(1e-6));
  }

  @Test
  void argmaxAndTopK() {
    float[] v = {0.1f, 3f, -2f, 3f, 1f};
    assertThat(KdMath.argmax(v)).isEqualTo(1);
    assertThat(KdMath.topK(v, 3)).containsExactly(1, 3, 4);
    assertThat(KdMath.topK(v, 10)).hasSize(5);
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> KdMath.softmax(new float[] {1}, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("temperature must be > 0");
    assertThatThrownBy(() -> KdMath.loss(0, new float[] {1}, new float[] {1}, 1, 1.5))
        .hasMessageContaining("alpha must be in [0, 1]");
    assertThatThrownBy(() -> KdMath.crossEntropy(2, new float[] {1, 2}))
        .hasMessageContaining("label 2 outside 0..1");
  }
}
