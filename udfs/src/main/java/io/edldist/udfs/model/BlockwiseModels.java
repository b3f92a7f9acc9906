package io.edldist.udfs.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import io.edldist.udfs.EdlException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The models of parallel blockwise distillation: a VGG-style teacher whose 3x3 convolution blocks
 * are children of its top-level {@link SequentialBlock}, so their boundaries are visible; the
 * depthwise-separable block that replaces one of them (depthwise 3x3, batch norm, ReLU, pointwise
 * 1x1, batch norm, ReLU: same input and output shapes, about 1/9 + 1/out-channels of the
 * multiply-accumulates); and the student, the teacher with any subset of its blocks replaced.
 *
 * <p>Architecture names: {@code vgg} (the teacher), {@code vgg-ds:010111} (the student; one digit
 * per block, 1 = replaced), {@code ds-block} (one student block on its own; {@code hidden} holds
 * its output channels, the input shape its input).
 */
public final class BlockwiseModels {
  public static final String VGG = "vgg";
  public static final String STUDENT_PREFIX = "vgg-ds:";
  public static final String DS_BLOCK = "ds-block";
  private static final int POOL = 0;

  /** Output channels of each conv block; {@code POOL} is a 2x2 max-pooling between blocks. */
  private static final int[] PLAN = {16, 16, POOL, 32, 32, POOL, 64, 64};

  private BlockwiseModels() {}

  /**
   * One 3x3 convolution block of the teacher: its number (1-based), its index among the teacher's
   * top-level children, and its input and output shapes.
   */
  public record ConvBlock(
      int number, int child, int inChannels, int outChannels, int height, int width)
      implements Serializable {
    public String name() {
      return "block" + number;
    }

    public int[] inputShape() {
      return new int[] {inChannels, height, width};
    }
  }

  /** The conv blocks of a VGG teacher for samples of the given shape. */
  public static List<ConvBlock> convBlocks(int[] inputShape) {
    checkImage(inputShape);
    List<ConvBlock> blocks = new ArrayList<>();
    int channels = inputShape[0];
    int h = inputShape[1];
    int w = inputShape[2];
    for (int i = 0; i < PLAN.length; i++) {
      if (PLAN[i] == POOL) {
        h /= 2;
        w /= 2;
      } else {
        blocks.add(new ConvBlock(blocks.size() + 1, i, channels, PLAN[i], h, w));
        channels = PLAN[i];
      }
    }
    return blocks;
  }

  /**
   * The blocks of a stored teacher that blockwise distillation can replace; a teacher without
   * exposed 3x3 convolution blocks is a user error naming the first block that does not qualify.
   */
  public static List<ConvBlock> replaceableBlocks(ModelMeta teacher) {
    String why =
        switch (teacher.arch()) {
          case VGG -> null;
          case "torchscript" ->
              "it is a TorchScript module, whose layers edl-dist cannot see or cut into blocks";
          case "cnn", "small-cnn" ->
              "its block 'conv1' is a bare 3x3 convolution followed by max-pooling, not a"
                  + " conv3x3-batchnorm-relu block with the same spatial size in and out";
          case "mlp" -> "its block 'dense1' is a dense layer, not a 3x3 convolution";
          default -> "its architecture '" + teacher.arch() + "' exposes no 3x3 convolution blocks";
        };
    if (why != null) {
      throw EdlException.cannot(
          "replace the blocks of teacher " + teacher.id(),
          why,
          "Use a VGG teacher: set blockwise.teacher-name to a name the store does not hold yet and"
              + " 'edl-dist blockwise' trains one (teacher.arch=vgg)");
    }
    return convBlocks(teacher.inputShape());
  }

  /** The teacher ({@code replaced} all false) or a student with the given blocks replaced. */
  static Block vgg(int[] inputShape, int classes, boolean[] replaced) {
    List<ConvBlock> blocks = convBlocks(inputShape);
    if (replaced.length != blocks.size()) {
      throw new IllegalArgumentException(
          "expected " + blocks.size() + " block flags, got " + replaced.length);
    }
    SequentialBlock net = new SequentialBlock();
    int b = 0;
    for (int step : PLAN) {
      if (step == POOL) {
        net.add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
      } else {
        ConvBlock block = blocks.get(b);
        net.add(replaced[b] ? studentBlock(block) : teacherBlock(block));
        b++;
      }
    }
    return net.add(Pool.globalAvgPool2dBlock())
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(classes).build());
  }

  static Block build(String arch, int hidden, int[] inputShape, int classes) {
    if (arch.equals(VGG)) {
      return vgg(inputShape, classes, new boolean[convBlocks(inputShape).size()]);
    }
    if (arch.equals(DS_BLOCK)) {
      return studentBlock(new ConvBlock(0, 0, inputShape[0], hidden, inputShape[1], inputShape[2]));
    }
    return vgg(inputShape, classes, replacedOf(arch));
  }

  static boolean isBlockwise(String arch) {
    return arch.equals(VGG) || arch.equals(DS_BLOCK) || arch.startsWith(STUDENT_PREFIX);
  }

  /** The student's architecture name for the given replaced blocks. */
  public static String studentArch(boolean[] replaced) {
    StringBuilder s = new StringBuilder(STUDENT_PREFIX);
    for (boolean r : replaced) {
      s.append(r ? '1' : '0');
    }
    return s.toString();
  }

  /** Which blocks a student architecture name replaces. */
  public static boolean[] replacedOf(String arch) {
    String flags = arch.substring(STUDENT_PREFIX.length());
    if (!flags.matches("[01]+")) {
      throw EdlException.invalid(
          "architecture '" + arch + "'",
          "expected one 0 or 1 per block after '" + STUDENT_PREFIX + "'",
          "Use a name written by 'edl-dist blockwise'");
    }
    boolean[] out = new boolean[flags.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = flags.charAt(i) == '1';
    }
    return out;
  }

  /** A teacher block: conv3x3 (padding 1), batch norm, ReLU. */
  public static Block teacherBlock(ConvBlock block) {
    return new SequentialBlock()
        .add(
            Conv2d.builder()
                .setKernelShape(new Shape(3, 3))
                .optPadding(new Shape(1, 1))
                .setFilters(block.outChannels())
                .optBias(false)
                .build())
        .add(BatchNorm.builder().build())
        .add(Activation::relu);
  }

  /**
   * A student block: depthwise conv3x3 (one filter per input channel), batch norm, ReLU, pointwise
   * conv1x1 to the teacher block's output channels, batch norm, ReLU.
   */
  public static Block studentBlock(ConvBlock block) {
    return new SequentialBlock()
        .add(
            Conv2d.builder()
                .setKernelShape(new Shape(3, 3))
                .optPadding(new Shape(1, 1))
                .setFilters(block.inChannels())
                .optGroups(block.inChannels())
                .optBias(false)
                .build())
        .add(BatchNorm.builder().build())
        .add(Activation::relu)
        .add(
            Conv2d.builder()
                .setKernelShape(new Shape(1, 1))
                .setFilters(block.outChannels())
                .optBias(false)
                .build())
        .add(BatchNorm.builder().build())
        .add(Activation::relu);
  }

  private static void checkImage(int[] inputShape) {
    if (inputShape.length != 3 || inputShape[1] < 8 || inputShape[2] < 8) {
      throw EdlException.invalid(
          "architecture vgg for features of shape " + Arrays.toString(inputShape),
          "the VGG teacher needs image features shaped [channels, height, width] of at least 8x8",
          "Use image data such as Fashion-MNIST");
    }
  }
}
