package io.edldist.udfs.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import io.edldist.udfs.EdlException;
import java.util.List;

/**
 * The model architectures edl-dist builds with DJL blocks. Teachers and students share this list;
 * the model store records the name and rebuilds the block from it when loading weights.
 *
 * <ul>
 *   <li>{@code cnn}: conv3x3(32)-pool-conv3x3(64)-pool-dense(128)-dense(C), the default teacher.
 *   <li>{@code small-cnn}: conv3x3(8)-pool-conv3x3(16)-pool-dense(C), a convolutional student.
 *   <li>{@code mlp}: flatten-dense(hidden)-dense(C), the default student.
 *   <li>{@code resnet18}: torchvision's ResNet-18, see {@link ResNet}.
 *   <li>{@code vgg} and its blockwise students: see {@link BlockwiseModels}.
 * </ul>
 */
public final class Architectures {
  public static final List<String> NAMES =
      List.of("cnn", "small-cnn", "mlp", "vgg", ResNet.RESNET18);

  private Architectures() {}

  /** Builds an uninitialised block; the caller initialises it or loads weights into it. */
  public static Block build(String arch, int hidden, int[] inputShape, int classes) {
    if (BlockwiseModels.isBlockwise(arch)) {
      return BlockwiseModels.build(arch, hidden, inputShape, classes);
    }
    return switch (arch) {
      case "cnn" -> cnn(inputShape, classes, 32, 64, 128);
      case "small-cnn" -> cnn(inputShape, classes, 8, 16, 0);
      case "mlp" -> mlp(hidden, classes);
      case ResNet.RESNET18 -> ResNet.resnet18(inputShape, classes);
      default ->
          throw EdlException.invalid(
              "architecture '" + arch + "'",
              "unknown name",
              "Use one of " + String.join(", ", NAMES) + ".");
    };
  }

  public static Block build(ModelMeta meta) {
    return build(meta.arch(), meta.hidden(), meta.inputShape(), meta.classes());
  }

  private static Block cnn(int[] inputShape, int classes, int c1, int c2, int dense) {
    if (inputShape.length != 3 || inputShape[1] < 4 || inputShape[2] < 4) {
      throw EdlException.invalid(
          "architecture for features of shape " + java.util.Arrays.toString(inputShape),
          "a CNN needs image features shaped [channels, height, width] of at least 4x4",
          "Use arch mlp for flat features, e.g. --set teacher.arch=mlp.");
    }
    SequentialBlock block =
        new SequentialBlock()
            .add(conv(c1))
            .add(Activation::relu)
            .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
            .add(conv(c2))
            .add(Activation::relu)
            .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
            .add(Blocks.batchFlattenBlock());
    if (dense > 0) {
      block.add(Linear.builder().setUnits(dense).build()).add(Activation::relu);
    }
    return block.add(Linear.builder().setUnits(classes).build());
  }

  private static Block conv(int filters) {
    return Conv2d.builder()
        .setKernelShape(new Shape(3, 3))
        .optPadding(new Shape(1, 1))
        .setFilters(filters)
        .build();
  }

  private static Block mlp(int hidden, int classes) {
    if (hidden < 1) {
      throw EdlException.invalid(
          "hidden width " + hidden, "an MLP needs a hidden layer", "Set it to 1 or more.");
    }
    return new SequentialBlock()
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(hidden).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(classes).build());
  }
}
