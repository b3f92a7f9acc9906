package io.edldist.udfs.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import io.edldist.udfs.EdlException;
import java.util.Arrays;
import java.util.List;

/**
 * {@code resnet18}: torchvision's ResNet-18 layout (He et al. 2016) as DJL blocks, the class of
 * teacher users bring. Stem conv7x7/2 (64), batch norm, ReLU, max-pool 3x3/2; four stages of two
 * basic blocks (conv3x3-bn-relu-conv3x3-bn plus a shortcut, then ReLU) with 64, 128, 256 and 512
 * channels, the last three starting with stride 2 and a conv1x1/2-bn shortcut; global average
 * pooling; a dense layer to the classes. No layer is adapted to small images, so on 3x32x32 inputs
 * the stages run at 8x8, 4x4, 2x2 and 1x1 ({@code ResNetTest} checks the multiply-accumulates and
 * parameters against torchvision's).
 */
public final class ResNet {
  public static final String RESNET18 = "resnet18";
  private static final int[] CHANNELS = {64, 128, 256, 512};
  private static final int BLOCKS_PER_STAGE = 2;

  private ResNet() {}

  static Block resnet18(int[] inputShape, int classes) {
    if (inputShape.length != 3 || inputShape[1] < 32 || inputShape[2] < 32) {
      throw EdlException.invalid(
          "architecture resnet18 for features of shape " + Arrays.toString(inputShape),
          "ResNet-18 needs image features shaped [channels, height, width] of at least 32x32",
          "Use images of at least 32x32, or an architecture for small images, e.g. --set"
              + " teacher.arch=cnn.");
    }
    SequentialBlock net =
        new SequentialBlock()
            .add(conv(CHANNELS[0], 7, 2))
            .add(BatchNorm.builder().build())
            .add(Activation::relu)
            .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
    int in = CHANNELS[0];
    for (int stage = 0; stage < CHANNELS.length; stage++) {
      for (int b = 0; b < BLOCKS_PER_STAGE; b++) {
        int stride = stage > 0 && b == 0 ? 2 : 1;
        net.add(basicBlock(in, CHANNELS[stage], stride));
        in = CHANNELS[stage];
      }
    }
    return net.add(Pool.globalAvgPool2dBlock())
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(classes).build());
  }

  /** Two 3x3 convolutions and the shortcut, summed, then ReLU. */
  private static Block basicBlock(int in, int out, int stride) {
    Block main =
        new SequentialBlock()
            .add(conv(out, 3, stride))
            .add(BatchNorm.builder().build())
            .add(Activation::relu)
            .add(conv(out, 3, 1))
            .add(BatchNorm.builder().build());
    Block shortcut =
        stride == 1 && in == out
            ? Blocks.identityBlock()
            : new SequentialBlock().add(conv(out, 1, stride)).add(BatchNorm.builder().build());
    return new SequentialBlock()
        .add(
            new ParallelBlock(
                branches ->
                    new NDList(
                        branches.get(0).singletonOrThrow().add(branches.get(1).singletonOrThrow())),
                List.of(main, shortcut)))
        .add(Activation::relu);
  }

  private static Block conv(int filters, int kernel, int stride) {
    return Conv2d.builder()
        .setKernelShape(new Shape(kernel, kernel))
        .optStride(new Shape(stride, stride))
        .optPadding(new Shape(kernel / 2, kernel / 2))
        .setFilters(filters)
        .optBias(false)
        .build();
  }
}
