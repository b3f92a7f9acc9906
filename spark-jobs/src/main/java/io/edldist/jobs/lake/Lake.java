package io.edldist.jobs.lake;

import io.delta.tables.DeltaTable;
import io.edldist.udfs.EdlException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import scala.Option;

/**
 * The lake: Delta tables and plain files under one root, a local folder or an {@code s3a://} (or
 * {@code hdfs://}) prefix. Tables: {@code samples}, {@code soft_labels}, {@code rejects}, {@code
 * metrics}. Files: {@code models/}, {@code checkpoints/}, {@code reports/}. All file access goes
 * through Hadoop's FileSystem, so the same code serves a laptop folder and an object store.
 *
 * <p>Nothing relies on an atomic rename, which an object store emulates by copy and delete: a
 * folder that must appear whole (a model version, a checkpoint) gets its files first and one small
 * marker object last ({@code model.json}, {@code _COMMITTED}), and readers ignore a folder without
 * its marker. Each object is written whole or not at all.
 */
public final class Lake {
  public static final String SAMPLES = "samples";
  public static final String SOFT_LABELS = "soft_labels";
  public static final String REJECTS = "rejects";
  public static final String METRICS = "metrics";
  public static final List<String> TABLES = List.of(SAMPLES, SOFT_LABELS, REJECTS, METRICS);

  private static final String MAX_RECORDS_PER_FILE = "spark.sql.files.maxRecordsPerFile";

  private final SparkSession spark;
  private final String root;

  public Lake(SparkSession spark, String root) {
    this.spark = spark;
    this.root = normalise(root);
  }

  private static String normalise(String root) {
    String r = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    if (!r.contains("://") && !r.startsWith("file:")) {
      r = absolute(r);
    }
    return r;
  }

  public SparkSession spark() {
    return spark;
  }

  /**
   * Fails fast with one line when the lake's storage cannot be used (an {@code s3a://} endpoint
   * that does not answer, refused credentials, a missing bucket): see {@link StorageProbe}.
   */
  public Lake check() {
    StorageProbe.check(root, spark.sparkContext().hadoopConfiguration(), "lake");
    return this;
  }

  public String root() {
    return root;
  }

  public String path(String relative) {
    return root + "/" + relative;
  }

  /**
   * Whether the table has at least one commit. Listed from storage rather than asked of Delta:
   * Delta caches a path's log per session, so a table another process created after this session
   * first looked would stay invisible, and infer would score every sample again.
   */
  public boolean hasTable(String table) {
    return list(table + "/_delta_log").stream()
        .anyMatch(f -> f.matches("\\d{20}\\.(json|checkpoint\\..*)"));
  }

  /** Reads a table; a missing one is a user error that names the command that makes it. */
  public Dataset<Row> read(String table) {
    if (!hasTable(table)) {
      throw EdlException.cannot(
          "read table " + table,
          "there is no Delta table at " + path(table),
          "Run '" + producer(table) + "' first, or point --lake at the lake that holds it");
    }
    return spark.read().format("delta").load(path(table));
  }

  /**
   * Reads a table at its current version and keeps reading that version however often the dataset
   * is evaluated: for work that must see one snapshot, such as the epochs of training.
   */
  public Dataset<Row> readPinned(String table) {
    read(table);
    return spark.read().format("delta").option("versionAsOf", version(table)).load(path(table));
  }

  /** The table's current Delta version. */
  public long version(String table) {
    return DeltaTable.forPath(spark, path(table)).history(1).select("version").first().getLong(0);
  }

  /**
   * Replaces the {@code samples} table with {@code rows} and its properties in one commit ({@code
   * CREATE OR REPLACE ... AS SELECT}, rows in id order), so readers see the old table or the new
   * one, never a mix.
   */
  public void replaceSamples(Dataset<Row> rows, SamplesMeta meta, int rowsPerFile) {
    String view = "edl_samples_" + Long.toHexString(System.nanoTime());
    rows.createOrReplaceTempView(view);
    StringBuilder properties = new StringBuilder();
    meta.properties()
        .forEach(
            (k, v) ->
                properties
                    .append(properties.length() == 0 ? "" : ", ")
                    .append("'")
                    .append(k)
                    .append("'='")
                    .append(v.replace("'", ""))
                    .append("'"));
    RuntimeConfig conf = spark.conf();
    Option<String> maxRecords = conf.getOption(MAX_RECORDS_PER_FILE);
    conf.set(MAX_RECORDS_PER_FILE, rowsPerFile);
    try {
      spark.sql(
          "CREATE OR REPLACE TABLE delta.`"
              + path(SAMPLES)
              + "` USING delta TBLPROPERTIES ("
              + properties
              + ") AS SELECT * FROM "
              + view
              + " ORDER BY id");
    } finally {
      spark.catalog().dropTempView(view);
      if (maxRecords.isDefined()) {
        conf.set(MAX_RECORDS_PER_FILE, maxRecords.get());
      } else {
        conf.unset(MAX_RECORDS_PER_FILE);
      }
    }
  }

  /** Last modification time of a file or folder, in milliseconds; 0 when it does not exist. */
  public long modified(String relative) {
    try {
      Path p = new Path(path(relative));
      return fs().exists(p) ? fs().getFileStatus(p).getModificationTime() : 0;
    } catch (IOException e) {
      throw EdlException.cannot("read " + path(relative), e, "Check the lake's storage");
    }
  }

  private static String producer(String table) {
    return switch (table) {
      case SAMPLES -> "edl-dist ingest";
      case SOFT_LABELS -> "edl-dist infer";
      default -> "edl-dist quickstart";
    };
  }

  public Map<String, String> properties(String table) {
    read(table);
    Row detail = DeltaTable.forPath(spark, path(table)).detail().select("properties").first();
    return detail.getJavaMap(0);
  }

  // ---- files ----

  public FileSystem fs() {
    return fileSystem(qualify(root));
  }

  public boolean exists(String relative) {
    try {
      return fs().exists(new Path(path(relative)));
    } catch (IOException e) {
      throw EdlException.cannot("read " + path(relative), e, "Check the lake's storage");
    }
  }

  public byte[] readBytes(String relative) {
    try (InputStream in = fs().open(new Path(path(relative)))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw EdlException.cannot("read " + path(relative), e, "Check the lake's storage");
    }
  }

  public String readString(String relative) {
    return new String(readBytes(relative), StandardCharsets.UTF_8);
  }

  public void writeBytes(String relative, byte[] bytes) {
    try (OutputStream out = fs().create(new Path(path(relative)), true)) {
      out.write(bytes);
    } catch (IOException e) {
      throw EdlException.cannot("write " + path(relative), e, "Check the lake's storage");
    }
  }

  public void writeString(String relative, String text) {
    writeBytes(relative, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Names of the entries of a folder, sorted; empty when it does not exist. */
  public List<String> list(String relative) {
    try {
      Path dir = new Path(path(relative));
      List<String> names = new ArrayList<>();
      if (fs().exists(dir)) {
        for (FileStatus s : fs().listStatus(dir)) {
          names.add(s.getPath().getName());
        }
      }
      names.sort(null);
      return names;
    } catch (IOException e) {
      throw EdlException.cannot("list " + path(relative), e, "Check the lake's storage");
    }
  }

  public void delete(String relative) {
    try {
      fs().delete(new Path(path(relative)), true);
    } catch (IOException e) {
      throw EdlException.cannot("delete " + path(relative), e, "Check the lake's storage");
    }
  }

  /** Total bytes under a folder. */
  public long size(String relative) {
    try {
      return fs().getContentSummary(new Path(path(relative))).getLength();
    } catch (IOException e) {
      throw EdlException.cannot("read " + path(relative), e, "Check the lake's storage");
    }
  }

  /**
   * Reads a whole file outside the lake (a teacher file, say) through Hadoop's FileSystem: a local
   * path or any URI Hadoop knows ({@code file://}, {@code s3a://}, {@code hdfs://}).
   *
   * @param setting the setting or flag that named the file, for the error message
   */
  public byte[] readExternal(String location, String setting) {
    return readExternal(hadoopConf(), location, setting);
  }

  /** {@link #readExternal(String, String)} with these Hadoop settings, where there is no lake. */
  public static byte[] readExternal(Configuration conf, String location, String setting) {
    Path path = qualify(location);
    StorageProbe.check(path.toString(), conf, setting);
    try {
      FileSystem fs = path.getFileSystem(conf);
      if (!fs.isFile(path)) {
        throw EdlException.invalid(
            setting + " " + location,
            "no such file",
            "Point it at an existing file (a local path, file://, s3a:// or hdfs://)");
      }
      try (InputStream in = fs.open(path)) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw EdlException.cannot("read " + setting + " " + location, e, "Check the path and access");
    }
  }

  /** What {@link #writeExternal} writes. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes a file outside the lake (an export, say) through Hadoop's FileSystem, whole or not at
   * all: into a hidden sibling first ({@code .name.writing}), then renamed over {@code location},
   * so a reader or a crash never sees half a file (on S3 the rename is a copy of the finished
   * object).
   *
   * @param setting the setting or flag that named the file, for the error message
   */
  public void writeExternal(String location, String setting, Content content) {
    Path path = qualify(location);
    StorageProbe.check(path.toString(), hadoopConf(), setting);
    Path partial = new Path(path.getParent(), "." + path.getName() + ".writing");
    FileSystem fs = fileSystem(path);
    if (fs instanceof org.apache.hadoop.fs.LocalFileSystem local) {
      fs = local.getRawFileSystem(); // a user's file, without Hadoop's .crc beside it
    }
    boolean done = false;
    try {
      try (OutputStream out = fs.create(partial, true)) {
        content.writeTo(out);
      }
      if (fs.exists(path) && !fs.delete(path, false)) {
        throw new IOException("cannot replace the existing " + path);
      }
      if (!fs.rename(partial, path)) {
        throw new IOException("cannot rename " + partial + " to " + path);
      }
      done = true;
    } catch (IOException e) {
      throw EdlException.cannot(
          "write " + setting + " " + location, e, "Check the path and access");
    } finally {
      if (!done) {
        try {
          fs.delete(partial, false);
        } catch (IOException ignored) {
          // the write's own error is the one to report
        }
      }
    }
  }

  private static String absolute(String local) {
    return java.nio.file.Path.of(local).toAbsolutePath().normalize().toString();
  }

  /** A location as Hadoop names it: a local path becomes {@code file:///absolute/path}. */
  public static Path qualify(String location) {
    return location.contains("://")
        ? new Path(location)
        : new Path(java.nio.file.Path.of(absolute(location)).toUri());
  }

  /** The Hadoop settings of this session ({@code spark.hadoop.*} included). */
  public Configuration hadoopConf() {
    return spark.sparkContext().hadoopConfiguration();
  }

  /** The file system of any location, with this session's settings. */
  public FileSystem fileSystem(Path location) {
    try {
      return location.getFileSystem(hadoopConf());
    } catch (IOException e) {
      throw EdlException.cannot("open " + location, e, "Check the path and its settings");
    }
  }

  public Optional<String> readIfExists(String relative) {
    return exists(relative) ? Optional.of(readString(relative)) : Optional.empty();
  }
}
