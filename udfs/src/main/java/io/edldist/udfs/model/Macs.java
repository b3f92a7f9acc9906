package io.edldist.udfs.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;

/**
 * Multiply-accumulates of one forward pass for one sample, counted the same way for every model: a
 * convolution costs its weight count times its output positions, a dense layer its weight count;
 * normalisation, activations and pooling count as zero. Walks nested {@link SequentialBlock}s,
 * propagating the shape through each child. The block must be initialised.
 */
public final class Macs {
  private Macs() {}

  /** MACs of one sample of the given shape (without the batch dimension). */
  public static long count(Block block, int[] sampleShape) {
    return count(block, ModelBundle.batchShape(sampleShape, 1));
  }

  private static long count(Block block, Shape input) {
    if (block instanceof SequentialBlock seq) {
      long total = 0;
      Shape shape = input;
      for (var child : seq.getChildren().values()) {
        total += count(child, shape);
        shape = child.getOutputShapes(new Shape[] {shape})[0];
      }
      return total;
    }
    if (block instanceof Convolution || block instanceof Linear) {
      long weights = block.getParameters().get("weight").getArray().size();
      Shape out = block.getOutputShapes(new Shape[] {input})[0];
      long positions = 1;
      for (int d = 2; d < out.dimension(); d++) {
        positions *= out.get(d);
      }
      return weights * positions;
    }
    long total = 0;
    for (var child : block.getChildren().values()) {
      total += count(child, input);
    }
    return total;
  }
}
