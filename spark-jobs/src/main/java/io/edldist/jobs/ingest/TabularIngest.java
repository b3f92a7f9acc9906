package io.edldist.jobs.ingest;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.Features;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Ingest of user data in Parquet or CSV: a label column and either several numeric feature columns
 * or one array column. Each row is classified in one pass with a SQL expression that yields the
 * reason it cannot be used, or null; the input is cached for that pass so it is read once. Good
 * rows become {@code samples} with {@code ARRAY<FLOAT>} features, bad rows {@code rejects} with the
 * original record as JSON.
 */
final class TabularIngest {
  private final Lake lake;
  private final EdlConfig config;
  private final String format;
  private final FileSystem fs;
  private final Path path;

  TabularIngest(Lake lake, EdlConfig config, String format, FileSystem fs, Path path) {
    this.lake = lake;
    this.config = config;
    this.format = format;
    this.fs = fs;
    this.path = path;
  }

  IngestStage.Result run() {
    String data = config.get(EdlConfig.DATA);
    IngestStage stage = new IngestStage(lake, config);
    String source = format + ":" + data;
    String fingerprint = fingerprint(data);
    if (stage.upToDate(fingerprint)) {
      long train = lake.read(Lake.SAMPLES).where("split = 'train'").count();
      long test = lake.read(Lake.SAMPLES).count() - train;
      return new IngestStage.Result(train, test, 0, Map.of(), true);
    }
    Dataset<Row> input = read(data);
    List<String> columns = Arrays.asList(input.columns());
    String labelCol = config.get(EdlConfig.INGEST_LABEL_COL);
    List<String> featureCols = featureColumns(columns, labelCol);
    requireColumn(data, columns, labelCol, EdlConfig.INGEST_LABEL_COL);
    featureCols.forEach(c -> requireColumn(data, columns, c, EdlConfig.INGEST_FEATURE_COLS));
    String idCol = config.get(EdlConfig.INGEST_ID_COL);
    String splitCol = config.get(EdlConfig.INGEST_SPLIT_COL);
    if (!idCol.isEmpty()) {
      requireColumn(data, columns, idCol, EdlConfig.INGEST_ID_COL);
    }
    if (!splitCol.isEmpty()) {
      requireColumn(data, columns, splitCol, EdlConfig.INGEST_SPLIT_COL);
    }
    int classes = config.get(EdlConfig.INGEST_CLASSES);

    Column features =
        featureCols.size() == 1
                && input.schema().apply(featureCols.get(0)).dataType() instanceof ArrayType
            ? expr("transform(`" + featureCols.get(0) + "`, x -> try_cast(x AS FLOAT))")
            : array(
                featureCols.stream()
                    .map(c -> expr("try_cast(`" + c + "` AS FLOAT)"))
                    .toArray(Column[]::new));
    Dataset<Row> shaped =
        withRowNumbers(input)
            .withColumn(
                "_record",
                to_json(
                    struct(columns.stream().map(c -> col("`" + c + "`")).toArray(Column[]::new))))
            .select(
                (idCol.isEmpty() ? col("_row") : expr("try_cast(`" + idCol + "` AS BIGINT)"))
                    .as("id"),
                (splitCol.isEmpty()
                        ? lit(config.get(EdlConfig.INGEST_SPLIT))
                        : col("`" + splitCol + "`").cast("string"))
                    .as("split"),
                expr("try_cast(`" + labelCol + "` AS DOUBLE)").as("label_value"),
                features.as("features"),
                col("_record"))
            .cache();
    int width = featureWidth(shaped, featureCols);
    Dataset<Row> classified =
        shaped
            .withColumn(
                "reason",
                expr(
                    "CASE WHEN label_value IS NULL THEN 'label is null or not a number'"
                        + " WHEN label_value != floor(label_value) THEN 'label is not a whole number'"
                        + " WHEN label_value < 0 OR label_value >= "
                        + classes
                        + " THEN concat('label ', cast(label_value AS BIGINT), ' outside 0.."
                        + (classes - 1)
                        + "')"
                        + " WHEN id IS NULL THEN 'id is null or not a number'"
                        + " WHEN count(*) OVER (PARTITION BY id) > 1 THEN 'duplicate id'"
                        + " WHEN split IS NULL OR split NOT IN ('train', 'test') THEN 'split is not train or test'"
                        + " WHEN size(features) != "
                        + width
                        + " THEN concat('feature length ', size(features), ', expected "
                        + width
                        + "')"
                        + " WHEN exists(features, x -> x IS NULL OR isnan(x)) THEN 'feature is NaN, null or not a number'"
                        + " ELSE NULL END"))
            .cache();
    Map<String, Long> reasons = new TreeMap<>();
    long train = 0;
    long test = 0;
    for (Row r : classified.groupBy("reason", "split").count().collectAsList()) {
      if (r.isNullAt(0)) {
        if ("train".equals(r.getString(1))) {
          train += r.getLong(2);
        } else {
          test += r.getLong(2);
        }
      } else {
        reasons.merge(r.getString(0), r.getLong(2), Long::sum);
      }
    }
    long rejected = reasons.values().stream().mapToLong(Long::longValue).sum();
    if (train + test == 0) {
      throw EdlException.invalid(
          "--data " + data,
          "none of its " + rejected + " rows is usable (" + reasons + ")",
          "Fix the input or the ingest.* settings; see 'edl-dist config'");
    }
    String shapeSetting = config.get(EdlConfig.INGEST_FEATURE_SHAPE);
    int[] shape = shapeSetting.isEmpty() ? new int[] {width} : Features.parseShape(shapeSetting);
    Dataset<Row> samples =
        classified
            .where("reason IS NULL")
            .select(
                col("id"),
                col("split"),
                col("label_value").cast("int").as("label"),
                col("features"));
    stage.writeRejects(
        source,
        rejected == 0
            ? null
            : classified
                .where("reason IS NOT NULL")
                .select(lit(source).as("source"), col("_record").as("record"), col("reason")));
    stage.writeSamples(
        samples, new SamplesMeta(new Features(Features.FLOAT, shape), classes, fingerprint));
    classified.unpersist();
    shaped.unpersist();
    return new IngestStage.Result(train, test, rejected, reasons, false);
  }

  /**
   * Identifies the input ({@link IngestStage#fingerprint}) and the settings that shape it, so an
   * unchanged input is not ingested twice.
   */
  private String fingerprint(String data) {
    String settings =
        String.join(
            "|",
            config.raw(EdlConfig.INGEST_LABEL_COL),
            config.raw(EdlConfig.INGEST_FEATURE_COLS),
            config.raw(EdlConfig.INGEST_ID_COL),
            config.raw(EdlConfig.INGEST_SPLIT_COL),
            config.raw(EdlConfig.INGEST_SPLIT),
            config.raw(EdlConfig.INGEST_CLASSES),
            config.raw(EdlConfig.INGEST_FEATURE_SHAPE));
    if (!exists()) {
      throw EdlException.invalid(
          "--data " + data,
          "no such file or folder",
          "Pass the path of a ." + format + " file or folder");
    }
    return format + ":" + IngestStage.fingerprint(fs, path) + ":" + settings.hashCode();
  }

  /**
   * Adds {@code _row}: 0, 1, 2 ... in the order Spark reads the input, used as the id when the
   * input has no id column. That order depends on how Spark splits the files; set {@code
   * ingest.id-col} for ids that must be the same on every cluster.
   */
  private Dataset<Row> withRowNumbers(Dataset<Row> input) {
    StructType schema = input.schema().add("_row", DataTypes.LongType, false);
    JavaRDD<Row> rows =
        input
            .javaRDD()
            .zipWithIndex()
            .map(
                t -> {
                  Object[] values = new Object[t._1().size() + 1];
                  for (int i = 0; i < t._1().size(); i++) {
                    values[i] = t._1().get(i);
                  }
                  values[values.length - 1] = t._2();
                  return RowFactory.create(values);
                });
    return lake.spark().createDataFrame(rows, schema);
  }

  private boolean exists() {
    try {
      return fs.exists(path);
    } catch (java.io.IOException e) {
      throw EdlException.cannot("read --data " + path, e, "Check the path and access");
    }
  }

  private Dataset<Row> read(String data) {
    String location = path.toString();
    try {
      return format.equals("csv")
          ? lake.spark().read().option("header", "true").option("inferSchema", "true").csv(location)
          : lake.spark().read().parquet(location);
    } catch (RuntimeException e) {
      throw EdlException.cannot(
          "read " + data + " as " + format, e, "Check the file, or set --set ingest.format=...");
    }
  }

  private List<String> featureColumns(List<String> columns, String labelCol) {
    String setting = config.get(EdlConfig.INGEST_FEATURE_COLS);
    if (!setting.isBlank()) {
      return Arrays.stream(setting.split(",")).map(String::trim).toList();
    }
    String idCol = config.get(EdlConfig.INGEST_ID_COL);
    String splitCol = config.get(EdlConfig.INGEST_SPLIT_COL);
    return columns.stream()
        .filter(c -> !c.equals(labelCol) && !c.equals(idCol) && !c.equals(splitCol))
        .toList();
  }

  private int featureWidth(Dataset<Row> shaped, List<String> featureCols) {
    String shapeSetting = config.get(EdlConfig.INGEST_FEATURE_SHAPE);
    if (!shapeSetting.isEmpty()) {
      return Arrays.stream(Features.parseShape(shapeSetting)).reduce(1, (a, b) -> a * b);
    }
    if (featureCols.size() > 1) {
      return featureCols.size();
    }
    List<Row> common =
        shaped
            .groupBy(expr("size(features)").as("n"))
            .count()
            .orderBy(col("count").desc())
            .limit(1)
            .collectAsList();
    return common.isEmpty() ? 0 : common.get(0).getInt(0);
  }

  private static void requireColumn(
      String data, List<String> columns, String column, EdlConfig.Key<?> key) {
    if (!columns.contains(column)) {
      throw EdlException.invalid(
          "--set " + key.name() + "=" + column,
          data + " has no column '" + column + "' (it has " + String.join(", ", columns) + ")",
          "Name an existing column");
    }
  }
}
