package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.cli.Main;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the Zeppelin note's SQL on a lake that the pipeline wrote (ingest with one class left out,
 * so that {@code rejects} has rows; train-teacher, infer, train kd and baseline, evaluate), with
 * every dynamic form at its default and the lake form at the test lake, as Zeppelin would send it
 * to the Spark SQL interpreter. Every paragraph must return rows: a paragraph that reads a column
 * or a metric the pipeline does not write returns none, or fails.
 */
class ZeppelinNoteIT extends SparkTestBase {
  private static final Path NOTE = Path.of("..", "notebooks", "edl-dist-explore_2EDLDIST1.zpln");
  private static final String RUN = "zeppelin";
  private static ZeppelinNote note;

  @BeforeAll
  static void runPipelineAndReadNote() throws Exception {
    run("--data", data.toString(), "--set", "ingest.classes=9", "ingest");
    run("train-teacher");
    run("infer");
    run("train", "--mode", "kd");
    run("train", "--mode", "baseline");
    run("evaluate");
    note = ZeppelinNote.read(NOTE);
  }

  private static void run(String... command) {
    List<String> args = new ArrayList<>(List.of("--lake", lakeDir.toString()));
    slice()
        .forEach(
            (k, v) -> {
              if (!k.equals("lake") && !k.equals("data")) {
                args.addAll(List.of("--set", k + "=" + v));
              }
            });
    args.addAll(List.of("--set", "run.id=" + RUN));
    args.addAll(Arrays.asList(command));
    assertThat(Main.run(args.toArray(String[]::new))).as(String.join(" ", command)).isZero();
  }

  @TestFactory
  Stream<DynamicTest> everySqlParagraphReturnsRows() {
    List<ZeppelinNote.Paragraph> sql = note.paragraphs("%spark.sql");
    assertThat(sql).hasSizeGreaterThanOrEqualTo(8);
    return sql.stream()
        .map(
            p ->
                DynamicTest.dynamicTest(
                    p.title(),
                    () -> {
                      String query =
                          ZeppelinNote.expand(p.body(), Map.of("lake", lakeDir.toString()));
                      assertThat(query).doesNotContain("${").doesNotContain("/path/to/lake");
                      List<Row> rows = spark.sql(query).collectAsList();
                      assertThat(rows).as(p.title() + ":\n" + query).isNotEmpty();
                    }));
  }

  /** The substitution the SQL above relies on, on the form shapes Zeppelin documents. */
  @Test
  void formsExpandAsZeppelinExpandsThem() {
    assertThat(ZeppelinNote.expand("delta.`$${lake=/path/to/lake}/samples`", Map.of("lake", "/l")))
        .isEqualTo("delta.`/l/samples`");
    assertThat(ZeppelinNote.expand("LIMIT ${limit=20} -- ${t(Temperature)=1}", Map.of()))
        .isEqualTo("LIMIT 20 -- 1");
    assertThat(ZeppelinNote.expand("'${split=test,test|train}'", Map.of())).isEqualTo("'test'");
    assertThat(ZeppelinNote.expand("'${split=test,test|train}'", Map.of("split", "train")))
        .isEqualTo("'train'");
    assertThat(ZeppelinNote.expand("${checkbox( or ):c=a|b,a|b|c}", Map.of())).isEqualTo("a or b");
    assertThat(ZeppelinNote.expand("${checkbox:c=a|b,a|b|c}", Map.of())).isEqualTo("a,b");
    assertThat(ZeppelinNote.expand("x _${hidden=1} ${empty}.", Map.of())).isEqualTo("x 1 .");
  }

  /** Zeppelin's SQL interpreter splits a paragraph at {@code ;}: one statement each here. */
  @Test
  void everySqlParagraphIsOneStatement() {
    for (ZeppelinNote.Paragraph p : note.paragraphs("%spark.sql")) {
      assertThat(p.body()).as(p.title()).doesNotContain(";");
    }
  }

  @Test
  void settingsParagraphNamesTheJobJarAndTheExtensions() {
    List<ZeppelinNote.Paragraph> conf = note.paragraphs("%spark.conf");
    assertThat(conf).hasSize(1);
    assertThat(note.paragraphs().get(1)).isEqualTo(conf.get(0));
    List<String> settings =
        conf.get(0).body().lines().map(String::strip).filter(l -> !l.startsWith("#")).toList();
    assertThat(settings)
        .contains("spark.jars /opt/edl-dist/spark-jobs/target/edl-dist.jar")
        .contains(
            "spark.sql.extensions"
                + " io.delta.sql.DeltaSparkSessionExtension,io.edldist.udfs.sql.EdlSparkSessionExtensions")
        .contains(
            "spark.sql.catalog.spark_catalog org.apache.spark.sql.delta.catalog.DeltaCatalog");
    assertThat(conf.get(0).body()).contains("edl-dist-s3.jar").doesNotContain("hadoop-aws:");
  }

  /**
   * The table of tables in the first paragraph lists each table's columns as the pipeline wrote.
   */
  @Test
  void aboutParagraphListsTheColumnsTheTablesHave() {
    String about = note.paragraphs().get(0).text();
    Matcher row = Pattern.compile("(?m)^\\| `(\\w+)` \\| `([^`]+)`").matcher(about);
    List<String> tables = new ArrayList<>();
    while (row.find()) {
      String table = row.group(1);
      tables.add(table);
      List<String> documented = Arrays.stream(row.group(2).split(",\\s*")).toList();
      List<String> actual =
          Arrays.asList(
              spark.read().format("delta").load(lakeDir.resolve(table).toString()).columns());
      assertThat(documented).as(table).isEqualTo(actual);
      if (table.equals("soft_labels")) {
        assertThat(documented).as("soft_labels holds no inputs").doesNotContain("features");
      }
    }
    assertThat(tables).containsExactly("samples", "soft_labels", "rejects", "metrics");
    // nor does any other text give soft_labels a `...features...` column list
    for (ZeppelinNote.Paragraph p : note.paragraphs()) {
      assertThat(p.text())
          .as(p.title())
          .doesNotContainPattern("soft_labels[^\\n]*`[^`\\n]*\\bfeatures\\b[^`\\n]*`");
    }
  }
}
