package io.edldist.udfs.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Feeds a whole batch to the model as one tensor and returns its logits as one flat array ([n *
 * classes], row after row): one JNI copy in, one out, per batch.
 */
public final class BatchTranslator implements NoBatchifyTranslator<BatchTranslator.Batch, float[]> {

  /** n samples, each of {@code sampleShape}, flattened into {@code data}. */
  public record Batch(float[] data, int n, long[] sampleShape) {
    Shape shape() {
      long[] dims = new long[sampleShape.length + 1];
      dims[0] = n;
      System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
      return new Shape(dims);
    }
  }

  @Override
  public NDList processInput(TranslatorContext ctx, Batch batch) {
    Shape shape = batch.shape();
    int used = (int) shape.size();
    float[] data =
        batch.data.length == used ? batch.data : java.util.Arrays.copyOf(batch.data, used);
    return new NDList(ctx.getNDManager().create(data, shape));
  }

  @Override
  public float[] processOutput(TranslatorContext ctx, NDList list) {
    NDArray logits = list.singletonOrThrow();
    return logits.toFloatArray();
  }
}
