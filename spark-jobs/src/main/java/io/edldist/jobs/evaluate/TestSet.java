package io.edldist.jobs.evaluate;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.BatchTranslator;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.kd.KdMath;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A labelled split in driver memory, in id order, with the teacher's logits when read from {@code
 * soft_labels}; and the batched predictions of a model on it.
 */
public final class TestSet {
  private final int[] labels;
  private final float[][] x;
  private final float[][] teacherLogits;
  private final Features features;

  private TestSet(Dataset<Row> rows, Features features, boolean withLogits) {
    this.features = features;
    List<Row> all =
        (withLogits
                ? rows.select("id", "label", "features", "logits")
                : rows.select("id", "label", "features"))
            .orderBy("id")
            .collectAsList();
    int n = all.size();
    labels = new int[n];
    x = new float[n][];
    teacherLogits = withLogits ? new float[n][] : null;
    for (int i = 0; i < n; i++) {
      Row r = all.get(i);
      labels[i] = r.getInt(1);
      x[i] = new float[features.size()];
      features.copy(r, 2, x[i], 0);
      if (withLogits) {
        teacherLogits[i] = Features.toFloats(r.getList(3));
      }
    }
  }

  public static TestSet of(Dataset<Row> rows, Features features, boolean withLogits) {
    return new TestSet(rows, features, withLogits);
  }

  public int size() {
    return labels.length;
  }

  /** Predicted classes of the teacher from its stored logits. */
  public int[] teacherPredictions() {
    int[] out = new int[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = KdMath.argmax(teacherLogits[i]);
    }
    return out;
  }

  /** The model's logits for every sample, in batches of {@code batchSize}. */
  public float[][] logits(Model model, int batchSize) {
    long[] shape = features.longShape();
    int size = features.size();
    float[][] out = new float[size()][];
    try (Predictor<BatchTranslator.Batch, float[]> predictor =
        model.newPredictor(new BatchTranslator())) {
      for (int start = 0; start < size(); start += batchSize) {
        int n = Math.min(batchSize, size() - start);
        float[] data = new float[n * size];
        for (int i = 0; i < n; i++) {
          System.arraycopy(x[start + i], 0, data, i * size, size);
        }
        float[] logits = predictor.predict(new BatchTranslator.Batch(data, n, shape));
        int classes = logits.length / n;
        for (int i = 0; i < n; i++) {
          out[start + i] = java.util.Arrays.copyOfRange(logits, i * classes, (i + 1) * classes);
        }
      }
    } catch (TranslateException e) {
      throw EdlException.cannot("evaluate model " + model.getName(), e, "Check the model's input");
    }
    return out;
  }

  public int[] predictions(Model model, int batchSize) {
    float[][] logits = logits(model, batchSize);
    int[] out = new int[logits.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = KdMath.argmax(logits[i]);
    }
    return out;
  }

  public static double agreement(int[] a, int[] b) {
    int same = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i] == b[i]) {
        same++;
      }
    }
    return a.length == 0 ? 0 : (double) same / a.length;
  }

  public double accuracy(int[] predictions) {
    return agreement(predictions, labels);
  }

  /**
   * Median seconds per sample of the model at the given batch size, over {@code repeats} timed
   * calls after a warm-up.
   */
  public double latencyPerSample(Model model, int batchSize, int repeats) {
    long[] shape = features.longShape();
    int n = Math.min(batchSize, size());
    float[] data = new float[n * features.size()];
    for (int i = 0; i < n; i++) {
      System.arraycopy(x[i], 0, data, i * features.size(), features.size());
    }
    double[] times = new double[repeats];
    try (Predictor<BatchTranslator.Batch, float[]> predictor =
        model.newPredictor(new BatchTranslator())) {
      for (int w = 0; w < 3; w++) {
        predictor.predict(new BatchTranslator.Batch(data, n, shape));
      }
      for (int r = 0; r < repeats; r++) {
        long t0 = System.nanoTime();
        predictor.predict(new BatchTranslator.Batch(data, n, shape));
        times[r] = (System.nanoTime() - t0) / 1e9 / n;
      }
    } catch (TranslateException e) {
      throw EdlException.cannot("time model " + model.getName(), e, "Check the model's input");
    }
    java.util.Arrays.sort(times);
    return times[repeats / 2];
  }
}
