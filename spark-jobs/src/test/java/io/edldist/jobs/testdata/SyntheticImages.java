package io.edldist.jobs.testdata;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Deterministic 28x28 grey images in 10 classes, written as an idx folder in the Fashion-MNIST
 * layout, so tests run on data they generate instead of on an installed dataset.
 *
 * <p>The generator uses 64-bit integer arithmetic only (every operation modulo 2^64, {@code >>>} a
 * logical shift, {@code mod} unsigned), so other languages can reproduce the bytes exactly; {@code
 * src/test/python/make_torchscript_teacher.py} holds a port. Image {@code i} of a split:
 *
 * <pre>
 * mix(x)     = z ^ (z >>> 31), where z = x + 0x9E3779B97F4A7C15,
 *              z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9, z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
 *              (in that order: the splitmix64 output function)
 * s          = mix(mix(k) ^ i), k = 1 for "train" and 2 for "test"
 * draw(p, n) = mix(s ^ p) mod n
 * label      = draw(0, 10)
 * dx, dy     = draw(1, 5) - 2, draw(2, 5) - 2           (shift of -2..2 pixels)
 * peak       = 128 + draw(3, 128)                       (ink intensity 128..255)
 * pixel(r,c) = min(255, draw(16 + 28r + c, 65) + (ink(label, r - dy, c - dx) ? peak : 0))
 * </pre>
 *
 * {@code ink(cls, r, c)} is false outside 0..27; inside, with {@code u = |2c - 27|} and {@code w =
 * |2r - 27|} (twice the distance to the centre) and {@code m = max(u, w)}, shape {@code cls / 2}
 * is: 0 a horizontal band ({@code w <= 9 && u <= 23}), 1 a vertical band ({@code u <= 9 && w <=
 * 23}), 2 a ring ({@code 100 <= u*u + w*w <= 484}), 3 a square frame ({@code 13 <= m <= 23}), 4 a
 * cross ({@code (u <= 7 || w <= 7) && m <= 23}). Even classes are the solid shape, odd classes the
 * same shape striped: only where {@code (r + c) mod 4 < 2}. Images are bytes in row-major order.
 */
public final class SyntheticImages {
  public static final int SIZE = 28;
  public static final int CLASSES = 10;

  private static final int NOISE = 64;

  private SyntheticImages() {}

  /**
   * Writes {@code train} and {@code test} images with their labels to {@code dir} (created if
   * needed) as {@code {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz}; returns {@code dir}.
   */
  public static Path write(Path dir, int train, int test) throws IOException {
    Files.createDirectories(dir);
    writeSplit(dir, "train", "train", train);
    writeSplit(dir, "t10k", "test", test);
    return dir;
  }

  /** The 28*28 pixels of image {@code index} of split "train" or "test". */
  public static byte[] image(String split, int index) {
    long s = stream(split, index);
    int label = draw(s, 0, CLASSES);
    int dx = draw(s, 1, 5) - 2;
    int dy = draw(s, 2, 5) - 2;
    int peak = 128 + draw(s, 3, 128);
    byte[] pixels = new byte[SIZE * SIZE];
    for (int r = 0; r < SIZE; r++) {
      for (int c = 0; c < SIZE; c++) {
        int p = r * SIZE + c;
        int v = draw(s, 16 + p, NOISE + 1) + (ink(label, r - dy, c - dx) ? peak : 0);
        pixels[p] = (byte) Math.min(255, v);
      }
    }
    return pixels;
  }

  /** The class (0..9) of image {@code index} of split "train" or "test". */
  public static int label(String split, int index) {
    return draw(stream(split, index), 0, CLASSES);
  }

  private static void writeSplit(Path dir, String prefix, String split, int n) throws IOException {
    try (DataOutputStream images = open(dir.resolve(prefix + "-images-idx3-ubyte.gz"));
        DataOutputStream labels = open(dir.resolve(prefix + "-labels-idx1-ubyte.gz"))) {
      images.writeInt(0x00000803);
      images.writeInt(n);
      images.writeInt(SIZE);
      images.writeInt(SIZE);
      labels.writeInt(0x00000801);
      labels.writeInt(n);
      for (int i = 0; i < n; i++) {
        images.write(image(split, i));
        labels.writeByte(label(split, i));
      }
    }
  }

  private static DataOutputStream open(Path file) throws IOException {
    return new DataOutputStream(
        new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(file))));
  }

  private static boolean ink(int cls, int r, int c) {
    if (r < 0 || r >= SIZE || c < 0 || c >= SIZE) {
      return false;
    }
    int u = Math.abs(2 * c - 27);
    int w = Math.abs(2 * r - 27);
    int m = Math.max(u, w);
    boolean shape =
        switch (cls / 2) {
          case 0 -> w <= 9 && u <= 23;
          case 1 -> u <= 9 && w <= 23;
          case 2 -> 100 <= u * u + w * w && u * u + w * w <= 484;
          case 3 -> 13 <= m && m <= 23;
          default -> (u <= 7 || w <= 7) && m <= 23;
        };
    return shape && (cls % 2 == 0 || (r + c) % 4 < 2);
  }

  private static long stream(String split, int index) {
    if (index < 0) {
      throw new IllegalArgumentException("index must not be negative: " + index);
    }
    long k =
        switch (split) {
          case "train" -> 1;
          case "test" -> 2;
          default -> throw new IllegalArgumentException("split must be train or test: " + split);
        };
    return mix(mix(k) ^ index);
  }

  private static int draw(long s, int purpose, int n) {
    return (int) Long.remainderUnsigned(mix(s ^ purpose), n);
  }

  private static long mix(long x) {
    long z = x + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
