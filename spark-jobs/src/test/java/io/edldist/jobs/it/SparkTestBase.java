package io.edldist.jobs.it;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.runtime.Sessions;
import io.edldist.jobs.testdata.SyntheticImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One Spark session for all integration tests of a JVM: {@code local[2]}, UI off, loopback host,
 * Delta on. Each test class gets its own lake folder. The data is generated ({@link
 * SyntheticImages}): {@value #TRAIN} train and {@value #TEST} test images in the Fashion-MNIST
 * layout, written once per JVM.
 */
public abstract class SparkTestBase {
  protected static final int TRAIN = 1200;
  protected static final int TEST = 400;
  protected static SparkSession spark;
  protected static Path lakeDir;
  protected static Path data;

  @BeforeAll
  static void startSpark() throws Exception {
    spark = Sessions.create(EdlConfig.load(null, sparkSettings()), "edl-dist-tests");
    lakeDir = Files.createTempDirectory("edl-dist-it-lake");
    data = images();
  }

  private static synchronized Path images() throws java.io.IOException {
    if (data == null) {
      Path dir = Files.createTempDirectory("edl-dist-it-data");
      dir.toFile().deleteOnExit();
      data = SyntheticImages.write(dir, TRAIN, TEST);
    }
    return data;
  }

  @AfterAll
  static void deleteLake() throws Exception {
    try (var paths = Files.walk(lakeDir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static Map<String, String> sparkSettings() {
    Map<String, String> s = new TreeMap<>();
    s.put("spark.master", "local[2]");
    s.put("spark.ui.enabled", "false");
    s.put("spark.ui.showConsoleProgress", "false");
    s.put("spark.sql.shuffle.partitions", "4");
    s.put("spark.default.parallelism", "2");
    // as the cluster profiles in conf/ do
    s.put("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    return s;
  }

  /** Settings for a small, fast pipeline on the generated images. */
  protected static Map<String, String> slice() {
    Map<String, String> s = new TreeMap<>(sparkSettings());
    s.put("lake", lakeDir.toString());
    s.put("data", data.toString());
    s.put("teacher.epochs", "3");
    s.put("train.epochs", "2");
    s.put("infer.rows-per-commit", "400");
    s.put("ingest.rows-per-file", "200");
    return s;
  }

  protected static EdlConfig config(Map<String, String> settings) {
    return EdlConfig.load(null, settings);
  }

  protected static Lake lake() {
    return new Lake(spark, lakeDir.toString());
  }

  protected static Dataset<Row> sql(String query) {
    return spark.sql(query);
  }

  protected static String table(String name) {
    return "delta.`" + lakeDir.resolve(name) + "`";
  }
}
