package io.edldist.jobs.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;

import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.model.ModelBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

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

  private ScratchLake(Lake source, Dataset<Row> samples, ModelBundle teacher) {
    try {
      dir = Files.createTempDirectory("edl-dist-bench-lake");
    } catch (IOException e) {
      throw EdlException.cannot(
          "create a scratch lake", e, "Check free space in the temporary folder");
    }
    lake = new Lake(source.spark(), dir.toString());
    lake.replaceSamples(samples, SamplesMeta.of(source), ROWS_PER_FILE);
    new ModelStore(lake).save(teacher);
  }

  /** These rows of the source's samples. */
  public static ScratchLake of(Lake source, Dataset<Row> samples, ModelBundle teacher) {
    return new ScratchLake(source, samples, teacher);
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
    return new ScratchLake(source, copiesOf, teacher);
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
