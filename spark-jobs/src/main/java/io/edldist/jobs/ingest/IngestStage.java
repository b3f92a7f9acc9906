package io.edldist.jobs.ingest;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.lake.StorageProbe;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.Features;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.EtagSource;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Loads a dataset into the {@code samples} table: an idx folder (MNIST / Fashion-MNIST layout) or a
 * Parquet / CSV file with named label and feature columns.
 *
 * <p>The whole input is read and checked before anything is written: a broken idx file (wrong
 * magic, truncated, garbled gzip, counts that disagree) stops the stage with no table touched. Bad
 * rows inside good input (null or out-of-range label, wrong feature length, NaN) go to {@code
 * rejects} with the reason, the rest to {@code samples}. {@code samples} is replaced in one Delta
 * commit that also records the feature type, shape, class count and a fingerprint of the input;
 * re-running on the same input is a no-op. Ids: train rows 0..n-1, test rows after them (idx); the
 * id column or input order (Parquet/CSV).
 */
public final class IngestStage {
  public static final StructType REJECTS_SCHEMA =
      new StructType()
          .add("source", DataTypes.StringType, false)
          .add("record", DataTypes.StringType, true)
          .add("reason", DataTypes.StringType, false);

  /** What ingest did. */
  public record Result(
      long train, long test, long rejected, Map<String, Long> rejectReasons, boolean skipped) {
    public long rows() {
      return train + test;
    }
  }

  private final Lake lake;
  private final EdlConfig config;

  public IngestStage(Lake lake, EdlConfig config) {
    this.lake = lake;
    this.config = config;
  }

  public Result execute() {
    String data = config.get(EdlConfig.DATA);
    Path path = Lake.qualify(data);
    StorageProbe.check(path.toString(), lake.hadoopConf(), "--data");
    FileSystem fs = lake.fileSystem(path);
    String format = config.get(EdlConfig.INGEST_FORMAT);
    if (format.equals("auto")) {
      format = detectFormat(fs, path, data);
    }
    return format.equals("idx")
        ? ingestIdx(fs, path)
        : new TabularIngest(lake, config, format, fs, path).run();
  }

  private static String detectFormat(FileSystem fs, Path p, String data) {
    String lower = data.toLowerCase(java.util.Locale.ROOT);
    if (lower.endsWith(".csv")) {
      return "csv";
    }
    if (lower.endsWith(".parquet")) {
      return "parquet";
    }
    boolean exists;
    try {
      exists = fs.exists(p);
      if (exists && fs.getFileStatus(p).isDirectory()) {
        if (new IdxReader(fs).looksLikeIdxFolder(p)) {
          return "idx";
        }
        for (FileStatus f : fs.listStatus(p)) {
          if (f.getPath().getName().endsWith(".parquet")) {
            return "parquet";
          }
        }
      }
    } catch (IOException e) {
      throw EdlException.cannot("read --data " + data, e, "Check the path and access");
    }
    throw EdlException.invalid(
        "--data " + data,
        exists
            ? "not an idx folder (train-images-idx3-ubyte.gz ...), .parquet or .csv"
            : "no such file or folder",
        "Point --data at an idx folder, or install Fashion-MNIST: apt-get install -y"
            + " dataset-fashion-mnist; or set --set ingest.format=parquet|csv");
  }

  private Result ingestIdx(FileSystem fs, Path dir) {
    IdxReader reader = new IdxReader(fs);
    IdxReader.Split train = reader.readSplit(dir, "train", "train");
    IdxReader.Split test = reader.readSplit(dir, "t10k", "test");
    if (train.images().rows() != test.images().rows()
        || train.images().cols() != test.images().cols()) {
      throw EdlException.invalid(
          "idx folder " + dir,
          "train images are "
              + train.images().rows()
              + "x"
              + train.images().cols()
              + " but test images are "
              + test.images().rows()
              + "x"
              + test.images().cols(),
          "Use train and test files of the same dataset");
    }
    int trainN = limit(train.labels().length, config.get(EdlConfig.INGEST_TRAIN_LIMIT));
    int testN = limit(test.labels().length, config.get(EdlConfig.INGEST_TEST_LIMIT));
    int classes = config.get(EdlConfig.INGEST_CLASSES);
    String source = "idx:" + fingerprint(fs, dir) + ":" + trainN + ":" + testN + ":" + classes;
    if (upToDate(source)) {
      return new Result(trainN, testN, 0, Map.of(), true);
    }
    List<Row> good = new ArrayList<>(trainN + testN);
    List<Row> bad = new ArrayList<>();
    Map<String, Long> reasons = new TreeMap<>();
    addSplit(train, trainN, 0, classes, good, bad, reasons, dir);
    addSplit(test, testN, train.labels().length, classes, good, bad, reasons, dir);
    int[] shape = {1, train.images().rows(), train.images().cols()};
    StructType schema = samplesSchema(DataTypes.BinaryType);
    // Slices of under 1 MB each: the rows travel inside the tasks that write them.
    int slices = Math.max(1, (int) ((long) good.size() * (shape[1] * shape[2] + 64) / 900_000) + 1);
    Dataset<Row> samples =
        lake.spark()
            .createDataFrame(
                JavaSparkContext.fromSparkContext(lake.spark().sparkContext())
                    .parallelize(good, slices),
                schema);
    writeRejects(
        dir.toString(), bad.isEmpty() ? null : lake.spark().createDataFrame(bad, REJECTS_SCHEMA));
    writeSamples(samples, new SamplesMeta(new Features(Features.UINT8, shape), classes, source));
    long trainGood = good.stream().filter(r -> r.getString(1).equals("train")).count();
    return new Result(trainGood, good.size() - trainGood, bad.size(), reasons, false);
  }

  private static void addSplit(
      IdxReader.Split split,
      int n,
      long firstId,
      int classes,
      List<Row> good,
      List<Row> bad,
      Map<String, Long> reasons,
      Path dir) {
    int size = split.images().rows() * split.images().cols();
    byte[] pixels = split.images().pixels();
    for (int i = 0; i < n; i++) {
      int label = split.labels()[i] & 0xFF;
      if (label >= classes) {
        String reason = "label " + label + " outside 0.." + (classes - 1);
        reasons.merge(reason, 1L, Long::sum);
        String record =
            String.format(
                "{\"split\":\"%s\",\"index\":%d,\"id\":%d,\"label\":%d}",
                split.name(), i, firstId + i, label);
        bad.add(RowFactory.create(dir.toString(), record, reason));
        continue;
      }
      byte[] features = java.util.Arrays.copyOfRange(pixels, i * size, (i + 1) * size);
      good.add(RowFactory.create(firstId + i, split.name(), label, features));
    }
  }

  static StructType samplesSchema(org.apache.spark.sql.types.DataType featureType) {
    return new StructType()
        .add("id", DataTypes.LongType, false)
        .add("split", DataTypes.StringType, false)
        .add("label", DataTypes.IntegerType, false)
        .add("features", featureType, false);
  }

  private static int limit(int n, int limit) {
    return limit == 0 ? n : Math.min(n, limit);
  }

  boolean upToDate(String source) {
    return lake.hasTable(Lake.SAMPLES)
        && source.equals(lake.properties(Lake.SAMPLES).get(SamplesMeta.SOURCE));
  }

  /**
   * Replaces {@code samples} and its properties in a single commit ({@link Lake#replaceSamples}).
   * When the input changed, the soft labels of the old samples are deleted first: their ids now
   * name other samples.
   */
  void writeSamples(Dataset<Row> samples, SamplesMeta meta) {
    if (lake.hasTable(Lake.SAMPLES)
        && !meta.source().equals(lake.properties(Lake.SAMPLES).get(SamplesMeta.SOURCE))
        && lake.hasTable(Lake.SOFT_LABELS)) {
      long stale = lake.read(Lake.SOFT_LABELS).count();
      lake.spark().sql("DELETE FROM delta.`" + lake.path(Lake.SOFT_LABELS) + "`");
      System.err.printf(
          "ingest: the input changed; deleted %,d soft labels of the old samples (run infer"
              + " again)%n",
          stale);
    }
    lake.replaceSamples(samples, meta, config.get(EdlConfig.INGEST_ROWS_PER_FILE));
  }

  /** Replaces the rejects of this source (a re-run does not duplicate them). */
  void writeRejects(String source, Dataset<Row> rejects) {
    if (rejects == null) {
      if (lake.hasTable(Lake.REJECTS)) {
        lake.spark()
            .sql(
                "DELETE FROM delta.`"
                    + lake.path(Lake.REJECTS)
                    + "` WHERE source = '"
                    + source.replace("'", "''")
                    + "'");
      }
      return;
    }
    rejects
        .coalesce(1)
        .write()
        .format("delta")
        .mode("overwrite")
        .option("replaceWhere", "source = '" + source.replace("'", "''") + "'")
        .save(lake.path(Lake.REJECTS));
  }

  /**
   * Identifies an input without reading it: the name, length and version of every file under {@code
   * root} (the store's ETag where it keeps one, as S3 does, else the modification time). Cheap on
   * an object store; a file rewritten with the same bytes counts as changed.
   */
  static String fingerprint(FileSystem fs, Path root) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      List<LocatedFileStatus> files = new ArrayList<>();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
      while (it.hasNext()) {
        files.add(it.next());
      }
      files.sort(java.util.Comparator.comparing(f -> f.getPath().toString()));
      String base = fs.getFileStatus(root).getPath().toString();
      for (LocatedFileStatus f : files) {
        String version =
            f instanceof EtagSource e && e.getEtag() != null
                ? e.getEtag()
                : Long.toString(f.getModificationTime());
        String line =
            f.getPath()
                    .toString()
                    .substring(Math.min(base.length(), f.getPath().toString().length()))
                + "|"
                + f.getLen()
                + "|"
                + version
                + "\n";
        sha.update(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (IOException e) {
      throw EdlException.cannot("read " + root, e, "Check the --data path");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
