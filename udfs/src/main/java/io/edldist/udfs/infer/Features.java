package io.edldist.udfs.infer;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * How a sample's {@code features} column becomes model input: uint8 {@code BINARY} pixels are
 * scaled to [0, 1]; {@code ARRAY<FLOAT>} is taken as is. The shape comes from the samples table's
 * properties and excludes the batch dimension.
 *
 * @param type {@code uint8} or {@code float}
 * @param shape shape of one sample, e.g. [1, 28, 28]
 */
public record Features(String type, int[] shape) implements Serializable {
  public static final String UINT8 = "uint8";
  public static final String FLOAT = "float";

  public Features {
    if (!UINT8.equals(type) && !FLOAT.equals(type)) {
      throw new IllegalArgumentException("feature type must be uint8 or float, got " + type);
    }
  }

  public int size() {
    return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
  }

  /** Writes the row's features, scaled, into {@code out} at {@code offset}. */
  public void copy(Row row, int column, float[] out, int offset) {
    if (UINT8.equals(type)) {
      copyUint8((byte[]) row.get(column), out, offset);
    } else {
      List<Object> values = row.getList(column);
      for (int i = 0; i < values.size(); i++) {
        out[offset + i] = ((Number) values.get(i)).floatValue();
      }
    }
  }

  /** Same as {@link #copy(Row, int, float[], int)} for uint8 pixels already in memory. */
  public static void copyUint8(byte[] pixels, float[] out, int offset) {
    for (int i = 0; i < pixels.length; i++) {
      out[offset + i] = (pixels[i] & 0xFF) / 255f;
    }
  }

  /** The sample shape as DJL wants it. */
  public long[] longShape() {
    return Arrays.stream(shape).asLongStream().toArray();
  }

  /** A list of numbers (a Spark array value) as floats. */
  public static float[] toFloats(List<?> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) values.get(i)).floatValue();
    }
    return out;
  }

  public String shapeString() {
    return Arrays.toString(shape).replaceAll("[\\[\\] ]", "");
  }

  /** Parses "1,28,28"; null when the text is not a list of positive whole numbers. */
  public static int[] parseShape(String s) {
    try {
      int[] shape =
          Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
      return shape.length > 0 && Arrays.stream(shape).allMatch(d -> d > 0) ? shape : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Features f && type.equals(f.type) && Arrays.equals(shape, f.shape);
  }

  @Override
  public int hashCode() {
    return type.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return type + Arrays.toString(shape);
  }
}
