package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.cli.Main;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.evaluate.EvaluateStage;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.report.Report;
import io.edldist.jobs.results.ModelScore;
import io.edldist.jobs.teacher.TrainTeacherStage;
import io.edldist.jobs.train.TrainStage;
import io.edldist.udfs.model.ModelCache;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The stages one after the other on a slice of Fashion-MNIST, as quickstart runs them. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineIT extends SparkTestBase {
  private static EdlConfig config;

  @BeforeAll
  static void setUp() {
    config = config(slice());
  }

  @Test
  @Order(1)
  void ingestWritesSamplesWithShapeAndIsIdempotent() {
    IngestStage.Result first = new IngestStage(lake(), config).execute();
    assertThat(first.train()).isEqualTo(TRAIN);
    assertThat(first.test()).isEqualTo(TEST);
    assertThat(first.skipped()).isFalse();
    assertThat(
            sql("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM " + table("samples"))
                .first())
        .isEqualTo(org.apache.spark.sql.RowFactory.create(1600L, 1600L, 0L, 1599L));
    assertThat(SamplesMeta.of(lake()).features().shape()).containsExactly(1, 28, 28);
    long version = sql("DESCRIBE HISTORY " + table("samples")).count();
    IngestStage.Result again = new IngestStage(lake(), config).execute();
    assertThat(again.skipped()).isTrue();
    assertThat(sql("DESCRIBE HISTORY " + table("samples")).count()).isEqualTo(version);
  }

  @Test
  @Order(2)
  void teacherTrainsAndIsStoredUnderItsHash() {
    TrainTeacherStage.Result r = new TrainTeacherStage(lake(), config, "it").execute();
    assertThat(r.teacher().meta().id()).matches("teacher@[0-9a-f]{12}");
    assertThat(r.testAccuracy()).isGreaterThan(0.5);
    assertThat(lake().exists("models/teacher/" + r.teacher().meta().version() + "/model.json"))
        .isTrue();
    TrainTeacherStage.Result reused =
        new TrainTeacherStage(lake(), config, "it").reuse(true).execute();
    assertThat(reused.reused()).isTrue();
    assertThat(reused.teacher().meta().id()).isEqualTo(r.teacher().meta().id());
    String id = r.teacher().meta().id();
    assertThat(cli("train-teacher", "--reuse"))
        .contains("train-teacher: " + id + " reused from the model store; nothing trained");
    assertThat(lake().list("models/teacher"))
        .containsExactlyInAnyOrder("LATEST", r.teacher().meta().version());
  }

  @Test
  @Order(3)
  void inferScoresEverySampleOnceInOnePassAndLaterOnlyWhatIsNew() throws IOException {
    int loadsBefore = ModelCache.loads();
    InferStage.Result first = new InferStage(lake(), config, "it").execute();
    assertThat(first.scored()).isEqualTo(1600);
    // 8 files of 200 rows, 2 per batch (400 rows per commit)
    assertThat(lake().read(Lake.SAMPLES).inputFiles()).hasSize(8);
    assertThat(first.commits()).isEqualTo(4);
    // loaded at most once in this JVM: by the driver check, then reused by every task
    assertThat(ModelCache.loads() - loadsBefore).isLessThanOrEqualTo(1);
    assertExactlyOneRowPerSample(first.teacherId(), 1600);
    assertThat(lake().read(Lake.SOFT_LABELS).columns())
        .containsExactly("id", "split", "label", "logits", "teacher_id");
    assertNoDictionaryPages("soft_labels");
    assertThat(lake().spark().conf().getOption("parquet.enable.dictionary").isEmpty())
        .as("infer restores the session's Parquet settings")
        .isTrue();

    InferStage.Result second = new InferStage(lake(), config, "it").execute();
    assertThat(second.scored()).isZero();
    assertThat(second.commits()).isZero();
    assertThat(second.alreadyPresent()).isEqualTo(1600);

    // samples appended later: the next run scores them, and only them
    sql(
        "INSERT INTO "
            + table("samples")
            + " SELECT id + 1600, split, label, features FROM "
            + table("samples")
            + " WHERE split = 'test' AND id < 1600 + 100 AND id >= 1600 - 100");
    Map<Long, float[]> before = logits(first.teacherId());
    InferStage.Result appended = new InferStage(lake(), config, "it").execute();
    assertThat(appended.scored()).isEqualTo(100);
    assertThat(appended.alreadyPresent()).isEqualTo(1600);
    assertExactlyOneRowPerSample(first.teacherId(), 1700);

    // a lost checkpoint beside a partial table: only the missing rows are scored
    sql("DELETE FROM " + table("soft_labels") + " WHERE id % 3 = 0");
    lake().delete("streams");
    InferStage.Result resumed = new InferStage(lake(), config, "it").execute();
    assertThat(resumed.scored()).isEqualTo(567);
    assertThat(resumed.alreadyPresent()).isEqualTo(1133);
    assertExactlyOneRowPerSample(first.teacherId(), 1700);
    Map<Long, float[]> after = logits(first.teacherId());
    before.forEach(
        (id, l) ->
            assertThat(after.get(id))
                .containsExactly(l, org.assertj.core.api.Assertions.within(1e-6f)));
  }

  @Test
  @Order(4)
  void kdAndBaselineStudentsTrainAndEvaluate() throws Exception {
    TrainStage.Result kd =
        new TrainStage(lake(), config.with(EdlConfig.TRAIN_MODE, "kd"), "it").execute();
    TrainStage.Result base =
        new TrainStage(lake(), config.with(EdlConfig.TRAIN_MODE, "baseline"), "it").execute();
    assertThat(kd.training().steps()).isEqualTo(base.training().steps()).isEqualTo(2 * 10);
    assertThat(kd.streamed()).isFalse();
    EvaluateStage.Result eval = new EvaluateStage(lake(), config, "it").execute();
    assertThat(eval.models())
        .extracting(ModelScore::role)
        .containsExactly("teacher", "student_kd", "student_baseline");
    for (ModelScore s : eval.models()) {
      assertThat(s.accuracy()).as(s.role()).isBetween(0.3, 1.0);
      assertThat(s.params()).isPositive();
      assertThat(s.sizeBytes()).isPositive();
      assertThat(s.latencyBatch1Ms()).isPositive();
    }
    var summary =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(lake().readString("reports/it/summary.json"));
    assertThat(summary.at("/teacher/test_accuracy").asDouble())
        .isEqualTo(eval.models().get(0).accuracy());
    assertThat(summary.at("/student_kd/agreement").isNumber()).isTrue();
    assertThat(summary.at("/student_baseline/test_accuracy").isNumber()).isTrue();
    assertThat(summary.at("/soft_labels/rows").asLong()).isEqualTo(1700);
    assertThat(summary.at("/timings_s/infer").isNumber()).isTrue();
    assertThat(lake().list("reports/it"))
        .contains("report.md", "accuracy_vs_size.png", "training_loss.png", "summary.json")
        .as("local mode holds no executor to chart")
        .doesNotContain(Report.TIMELINE_PNG);
    assertThat(
            sql("SELECT count(*) FROM "
                    + table("metrics")
                    + " WHERE stage = 'train-kd' AND name = 'loss'")
                .first()
                .getLong(0))
        .isPositive();
  }

  @Test
  @Order(5)
  void sqlFunctionsAgreeWithTheStoredTeacherAccuracy() {
    lake().read(Lake.SOFT_LABELS).createOrReplaceTempView("soft_labels");
    Row r =
        sql("SELECT avg(CAST(kd_argmax(logits) = label AS INT)), first(kd_topk(logits, 3)),"
                + " abs(aggregate(first(kd_softmax(logits, 2.0)), 0D, (a, x) -> a + x) - 1) < 1e-6"
                + " FROM soft_labels WHERE split = 'test'")
            .first();
    assertThat(r.getDouble(0)).isBetween(0.5, 1.0);
    assertThat(r.getList(1)).hasSize(3);
    assertThat(r.getBoolean(2)).isTrue();
  }

  @Test
  @Order(6)
  void sqlExportsCsvAndJsonLinesOfEveryRowToAFile() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("edl-dist-sql");
    String query =
        "SELECT id, label, kd_topk(logits, 2) AS top2, 'a,\\\"b' AS text FROM soft_labels"
            + " WHERE split = 'test' ORDER BY id";
    java.nio.file.Path csv = dir.resolve("out/test.csv");
    java.nio.file.Path json = dir.resolve("test.json");
    List<String> common = new ArrayList<>(List.of("--lake", lakeDir.toString()));
    sparkSettings().forEach((k, v) -> common.addAll(List.of("--set", k + "=" + v)));
    List<String> toCsv = new ArrayList<>(common);
    toCsv.addAll(List.of("sql", "--format", "csv", "--output", csv.toString(), query));
    assertThat(Main.run(toCsv.toArray(String[]::new))).isZero();
    List<String> toJson = new ArrayList<>(common);
    toJson.addAll(List.of("sql", "--format", "json", "--output", json.toString(), query));
    assertThat(Main.run(toJson.toArray(String[]::new))).isZero();

    long rows = sql("SELECT count(*) FROM soft_labels WHERE split = 'test'").first().getLong(0);
    List<String> csvLines = java.nio.file.Files.readAllLines(csv);
    assertThat(csvLines).hasSize((int) rows + 1);
    assertThat(csvLines.get(0)).isEqualTo("id,label,top2,text");
    Row first = sql(query).first();
    assertThat(csvLines.get(1))
        .isEqualTo(
            first.getLong(0)
                + ","
                + first.getInt(1)
                + ",\"["
                + first.getList(2).get(0)
                + ", "
                + first.getList(2).get(1)
                + "]\",\"a,\"\"b\"");
    List<String> jsonLines = java.nio.file.Files.readAllLines(json);
    assertThat(jsonLines).hasSize((int) rows);
    var parsed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(jsonLines.get(0));
    assertThat(parsed.get("id").asLong()).isEqualTo(first.getLong(0));
    assertThat(parsed.get("top2").size()).isEqualTo(2);
    assertThat(parsed.get("text").asText()).isEqualTo("a,\"b");
    try (var left = java.nio.file.Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("out", "test.json");
    }
  }

  /** Runs the command line on this class's lake and returns what it printed. */
  private static String cli(String... command) {
    List<String> args = new ArrayList<>(List.of("--lake", lakeDir.toString()));
    sparkSettings().forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
    args.addAll(List.of(command));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertThat(Main.run(args.toArray(String[]::new))).as(String.join(" ", command)).isZero();
    } finally {
      System.setOut(stdout);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void assertExactlyOneRowPerSample(String teacherId, long samples) {
    Row counts =
        sql("SELECT count(*), count(DISTINCT id) FROM "
                + table("soft_labels")
                + " WHERE teacher_id = '"
                + teacherId
                + "'")
            .first();
    assertThat(counts.getLong(0)).isEqualTo(samples);
    assertThat(counts.getLong(1)).isEqualTo(samples);
    assertThat(
            sql("SELECT count(*) FROM "
                    + table("samples")
                    + " s LEFT ANTI JOIN "
                    + table("soft_labels")
                    + " l ON s.id = l.id")
                .first()
                .getLong(0))
        .isZero();
  }

  /** Logits and pixels are high-cardinality: infer writes them without Parquet dictionaries. */
  private static void assertNoDictionaryPages(String name) throws IOException {
    Configuration conf = lake().spark().sparkContext().hadoopConfiguration();
    String[] files = lake().read(name).inputFiles();
    assertThat(files).isNotEmpty();
    for (String file : files) {
      try (ParquetFileReader reader =
          ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file), conf))) {
        for (var block : reader.getFooter().getBlocks()) {
          for (var column : block.getColumns()) {
            assertThat(column.hasDictionaryPage()).as(file + " " + column.getPath()).isFalse();
          }
        }
      }
    }
  }

  private static Map<Long, float[]> logits(String teacherId) {
    Map<Long, float[]> out = new HashMap<>();
    List<Row> rows =
        sql("SELECT id, logits FROM "
                + table("soft_labels")
                + " WHERE teacher_id = '"
                + teacherId
                + "'")
            .collectAsList();
    for (Row r : rows) {
      List<Object> l = r.getList(1);
      float[] f = new float[l.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = ((Number) l.get(i)).floatValue();
      }
      out.put(r.getLong(0), f);
    }
    return out;
  }
}
