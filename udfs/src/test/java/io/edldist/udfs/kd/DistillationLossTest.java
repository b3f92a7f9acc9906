package io.edldist.udfs.kd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The tensor loss used in training equals the plain-Java definition, on real libtorch. */
class DistillationLossTest {

  @ParameterizedTest
  @CsvSource({"1, 0", "1, 1", "4, 0", "4, 0.5", "4, 1", "2.5, 0.3"})
  void tensorLossMatchesPlainJava(double temperature, double alpha) {
    int batch = 5;
    int classes = 4;
    Random random = new Random(7);
    float[] student = new float[batch * classes];
    float[] teacher = new float[batch * classes];
    int[] labels = new int[batch];
    for (int i = 0; i < student.length; i++) {
      student[i] = (float) random.nextGaussian() * 3;
      teacher[i] = (float) random.nextGaussian() * 3;
    }
    double expected = 0;
    for (int b = 0; b < batch; b++) {
      labels[b] = random.nextInt(classes);
      expected +=
          KdMath.loss(
              labels[b],
              java.util.Arrays.copyOfRange(student, b * classes, (b + 1) * classes),
              java.util.Arrays.copyOfRange(teacher, b * classes, (b + 1) * classes),
              temperature,
              alpha);
    }
    expected /= batch;
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray s = manager.create(student, new Shape(batch, classes));
      NDArray t = manager.create(teacher, new Shape(batch, classes));
      NDArray y = manager.create(labels);
      float actual = new DistillationLoss(temperature, alpha).evaluate(s, y, t).getFloat();
      assertThat((double) actual).isCloseTo(expected, within(1e-4 * Math.max(1, expected)));
    }
  }
}
