package io.edldist.udfs.infer;

import org.apache.spark.sql.api.java.UDF1;

/**
 * A SQL function over uint8 {@code features}: one grey h x w image centred on a black 32x32 canvas
 * and copied to three channels, {@code [3, 32, 32]}; the input a torchvision-style teacher such as
 * ResNet-18 takes. Runs on the executors, one array per row.
 */
public final class RgbPadding implements UDF1<byte[], byte[]> {
  private static final long serialVersionUID = 1L;
  public static final int SIDE = 32;
  public static final int[] SHAPE = {3, SIDE, SIDE};

  private final int height;
  private final int width;

  /** For grey images of {@code height x width}, each at most 32. */
  public RgbPadding(int height, int width) {
    if (height < 1 || width < 1 || height > SIDE || width > SIDE) {
      throw new IllegalArgumentException(
          "images must be 1x1 to 32x32, got " + height + "x" + width);
    }
    this.height = height;
    this.width = width;
  }

  @Override
  public byte[] call(byte[] grey) {
    int plane = SIDE * SIDE;
    byte[] out = new byte[3 * plane];
    int top = (SIDE - height) / 2;
    int left = (SIDE - width) / 2;
    for (int y = 0; y < height; y++) {
      System.arraycopy(grey, y * width, out, (top + y) * SIDE + left, width);
    }
    System.arraycopy(out, 0, out, plane, plane);
    System.arraycopy(out, 0, out, 2 * plane, plane);
    return out;
  }
}
