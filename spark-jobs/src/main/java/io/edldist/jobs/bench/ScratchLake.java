package io.edldist.jobs.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.udf;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.infer.RgbPadding;
import io.edldist.udfs.model.ModelBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
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
   * Whether {@link #rgb32} can read this lake: one-channel uint8 images of at most 32x32; null if
   * so, else why not.
   */
  public static String whyNotRgb32(SamplesMeta meta) {
    int[] shape = meta.features().shape();
    boolean grey =
        Features.UINT8.equals(meta.features().type())
            && shape.length == 3
            && shape[0] == 1
            && shape[1] <= RgbPadding.SIDE
            && shape[2] <= RgbPadding.SIDE;
    return grey
        ? null
        : "its samples are "
            + meta.features().type()
            + " "
            + meta.features().shapeString()
            + ", not one-channel uint8 images of at most 32x32";
  }

  /**
   * The first {@code rows} samples of a one-channel uint8 image lake as 3x32x32 colour images
   * ({@link RgbPadding}, on the executors): the input a torchvision-style teacher takes.
   */
  public static ScratchLake rgb32(Lake source, int rows, ModelBundle teacher) {
    SamplesMeta meta = SamplesMeta.of(source);
    String whyNot = whyNotRgb32(meta);
    if (whyNot != null) {
      throw new IllegalArgumentException(whyNot);
    }
    int[] shape = meta.features().shape();
    UserDefinedFunction pad =
        udf(new RgbPadding(shape[1], shape[2]), DataTypes.BinaryType).asNonNullable();
    Dataset<Row> images =
        source
            .read(Lake.SAMPLES)
            .orderBy("id")
            .limit(rows)
            .select(
                col("id"), col("split"), col("label"), pad.apply(col("features")).as("features"));
    SamplesMeta rgb =
        new SamplesMeta(
            new Features(Features.UINT8, RgbPadding.SHAPE),
            meta.classes(),
            meta.source() + " padded to 3x32x32");
    return new ScratchLake(source, images, rgb, teacher);
  }

  public Lake lake() {
    return lake;
  }

  /** Its folder: a later Spark session opens the same lake with {@code new Lake(spark, root)}. */
  public String root() {
    return lake.root();
  }

  /**
   * Scores every sample again ({@link #clearSoftLabels} then infer) and checks that the infer
   * scored every one of them.
   */
  public InferStage.Result inferAll(EdlConfig config, String runId) {
    clearSoftLabels();
    return scoredAll(new InferStage(lake, config, runId).execute(), lake);
  }

  /** {@code r}, checked to have scored every row of {@code lake}'s samples. */
  static InferStage.Result scoredAll(InferStage.Result r, Lake lake) {
    if (r.scored() != r.total()) {
      throw new IllegalStateException(
          "infer scored " + r.scored() + " of " + r.total() + " rows of " + lake.root());
    }
    return r;
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
