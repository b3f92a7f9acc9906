package io.edldist.jobs.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.udf;

import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.ModelBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

/**
 * A lake of the benchmark's own in a local temporary folder, so that timed stages write nowhere
 * near the user's tables: a {@code samples} table made from the source lake's rows (a subset, or
 * every row repeated under new ids) and the teacher in its model store. Deleted on close.
 */
public final class ScratchLake implements AutoCloseable {
  /** The default of {@code ingest.rows-per-file}: scratch lakes are laid out as ingest does. */
  private static final int ROWS_PER_FILE =
      Integer.parseInt(io.edldist.jobs.config.EdlConfig.INGEST_ROWS_PER_FILE.defaultValue());

  private static final int RGB_SIDE = 32;

  private final Path dir;
  private final Lake lake;

  private ScratchLake(Lake source, Dataset<Row> samples, SamplesMeta meta, ModelBundle teacher) {
    try {
      dir = Files.createTempDirectory("edl-dist-bench-lake");
    } catch (IOException e) {
      throw EdlException.cannot(
          "create a scratch lake", e, "Check free space in the temporary folder");
    }
    lake = new Lake(source.spark(), dir.toString());
    lake.replaceSamples(samples, meta, ROWS_PER_FILE);
    new ModelStore(lake).save(teacher);
  }

  /** These rows of the source's samples. */
  public static ScratchLake of(Lake source, Dataset<Row> samples, ModelBundle teacher) {
    return new ScratchLake(source, samples, SamplesMeta.of(source), teacher);
  }

  /**
   * Every sample of the source {@code copies} times, copy c under id {@code id + c * (max id + 1)}:
   * generated on the executors, never collected to the driver.
   */
  public static ScratchLake repeated(Lake source, int copies, ModelBundle teacher) {
    Dataset<Row> samples = source.read(Lake.SAMPLES);
    long span = samples.agg(max("id")).first().getLong(0) + 1;
    Dataset<Row> copiesOf =
        samples
            .crossJoin(source.spark().range(copies).withColumnRenamed("id", "copy"))
            .select(
                col("id").plus(col("copy").multiply(lit(span))).as("id"),
                col("split"),
                col("label"),
                col("features"));
    return new ScratchLake(source, copiesOf, SamplesMeta.of(source), teacher);
  }

  /**
   * The first {@code rows} samples of a one-channel uint8 image lake as 3x32x32 colour images: each
   * image centred on a black 32x32 canvas and copied to the three channels, on the executors. The
   * input a torchvision-style teacher such as ResNet-18 takes.
   */
  public static ScratchLake rgb32(Lake source, int rows, ModelBundle teacher) {
    SamplesMeta meta = SamplesMeta.of(source);
    int[] shape = meta.features().shape();
    if (!Features.UINT8.equals(meta.features().type())
        || shape.length != 3
        || shape[0] != 1
        || shape[1] > RGB_SIDE
        || shape[2] > RGB_SIDE) {
      throw EdlException.invalid(
          "samples of " + meta.features().type() + " " + meta.features().shapeString(),
          "the ResNet-18 bench pads one-channel uint8 images of at most 32x32 to 3x32x32",
          "Bench on the default Fashion-MNIST lake");
    }
    int h = shape[1];
    int w = shape[2];
    UserDefinedFunction pad =
        udf((UDF1<byte[], byte[]>) pixels -> toRgb32(pixels, h, w), DataTypes.BinaryType);
    Dataset<Row> images =
        source
            .read(Lake.SAMPLES)
            .orderBy("id")
            .limit(rows)
            .select(
                col("id"), col("split"), col("label"), pad.apply(col("features")).as("features"));
    SamplesMeta rgb =
        new SamplesMeta(
            new Features(Features.UINT8, new int[] {3, RGB_SIDE, RGB_SIDE}),
            meta.classes(),
            meta.source() + " padded to 3x32x32");
    return new ScratchLake(source, images, rgb, teacher);
  }

  /** One h x w grey image centred on a 32x32 canvas, in each of three channels. */
  static byte[] toRgb32(byte[] grey, int h, int w) {
    int plane = RGB_SIDE * RGB_SIDE;
    byte[] out = new byte[3 * plane];
    int top = (RGB_SIDE - h) / 2;
    int left = (RGB_SIDE - w) / 2;
    for (int y = 0; y < h; y++) {
      System.arraycopy(grey, y * w, out, (top + y) * RGB_SIDE + left, w);
    }
    System.arraycopy(out, 0, out, plane, plane);
    System.arraycopy(out, 0, out, 2 * plane, plane);
    return out;
  }

  public Lake lake() {
    return lake;
  }

  /** Its folder: a later Spark session opens the same lake with {@code new Lake(spark, root)}. */
  public String root() {
    return lake.root();
  }

  /** Drops {@code soft_labels}, so the next infer scores every sample again. */
  public void clearSoftLabels() {
    lake.delete(Lake.SOFT_LABELS);
  }

  @Override
  public void close() {
    try {
      LocalFiles.deleteTree(dir);
    } catch (IOException e) {
      throw EdlException.cannot("delete the scratch lake " + dir, e, "Delete it by hand");
    }
  }
}
