package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edldist.jobs.cli.Main;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * A teacher exported from PyTorch as TorchScript (the fixture made by
 * src/test/python/make_torchscript_teacher.py) scores samples through {@code infer} and gives the
 * logits PyTorch gave.
 */
class TorchScriptIT extends SparkTestBase {
  private static final Path FIXTURE = Path.of("src/test/resources/teachers/torchscript-cnn");

  @Test
  void inferWithATorchScriptTeacherReproducesPyTorch() throws Exception {
    List<String> args = new ArrayList<>(List.of("--lake", lakeDir.resolve("ts").toString()));
    slice()
        .forEach(
            (k, v) -> {
              if (!k.equals("lake")) {
                args.addAll(List.of("--set", k + "=" + v));
              }
            });
    assertThat(Main.run(concat(args, "ingest"))).isZero();
    assertThat(
            Main.run(concat(args, "infer", "--teacher", FIXTURE.resolve("teacher.pt").toString())))
        .isZero();

    JsonNode expected =
        new ObjectMapper().readTree(FIXTURE.resolve("expected.json").toFile()).get("synthetic");
    String soft = "delta.`" + lakeDir.resolve("ts/soft_labels") + "`";
    List<Row> rows =
        sql("SELECT id, logits, teacher_id FROM "
                + soft
                + " WHERE split = 'test' ORDER BY id LIMIT 8")
            .collectAsList();
    assertThat(rows).hasSize(8);
    for (int i = 0; i < 8; i++) {
      assertThat(rows.get(i).getLong(0)).isEqualTo(expected.at("/first_test_ids/" + i).asLong());
      assertThat(rows.get(i).getString(2)).matches("teacher@[0-9a-f]{12}");
      List<Object> logits = rows.get(i).getList(1);
      for (int c = 0; c < 10; c++) {
        assertThat(((Number) logits.get(c)).doubleValue())
            .isCloseTo(expected.at("/logits/" + i + "/" + c).asDouble(), within(1e-4));
      }
    }
    assertThat(sql("SELECT count(*) FROM " + soft).first().getLong(0)).isEqualTo(1600);
  }

  private static String[] concat(List<String> base, String... more) {
    List<String> all = new ArrayList<>(base);
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }
}
