package io.edldist.jobs.lake;

import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.Features;
import java.util.Map;
import java.util.TreeMap;

/**
 * What ingest records about the {@code samples} table, in its Delta table properties: how a
 * sample's {@code features} become model input (type and shape), the number of classes, and a
 * fingerprint of the input it came from. Every stage reads it once, with {@link #of}; a table
 * without it (written by something else) is refused, never guessed.
 *
 * @param source a fingerprint of the input and the ingest settings that shaped it
 */
public record SamplesMeta(Features features, int classes, String source) {
  public static final String TYPE = "edl.feature.type";
  public static final String SHAPE = "edl.feature.shape";
  public static final String CLASSES = "edl.classes";
  public static final String SOURCE = "edl.source";

  /** Reads the properties of the lake's {@code samples} table. */
  public static SamplesMeta of(Lake lake) {
    Map<String, String> props = lake.properties(Lake.SAMPLES);
    String type = props.get(TYPE);
    String shape = props.get(SHAPE);
    String classes = props.get(CLASSES);
    int[] parsedShape = shape == null ? null : Features.parseShape(shape);
    if (type == null || parsedShape == null || classes == null || !classes.matches("[1-9]\\d*")) {
      throw EdlException.invalid(
          "table " + lake.path(Lake.SAMPLES),
          "its properties "
              + TYPE
              + ", "
              + SHAPE
              + " and "
              + CLASSES
              + " are missing or malformed ("
              + props
              + ")",
          "Re-create it with 'edl-dist ingest'");
    }
    return new SamplesMeta(
        new Features(type, parsedShape), Integer.parseInt(classes), props.getOrDefault(SOURCE, ""));
  }

  /** The table properties ingest writes. */
  public Map<String, String> properties() {
    Map<String, String> p = new TreeMap<>();
    p.put(TYPE, features.type());
    p.put(SHAPE, features.shapeString());
    p.put(CLASSES, Integer.toString(classes));
    p.put(SOURCE, source);
    return p;
  }
}
