package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.udfs.infer.Features;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Parquet and CSV input: good rows to samples, bad rows to rejects with the reason. */
class TabularIngestIT extends SparkTestBase {

  private static Map<String, String> settings(String lakeName, String data) {
    Map<String, String> s = new TreeMap<>(sparkSettings());
    s.put("lake", lakeDir.resolve(lakeName).toString());
    s.put("data", data);
    s.put("ingest.label-col", "y");
    s.put("ingest.classes", "3");
    return s;
  }

  @Test
  void csvBadRowsGoToRejectsWithTheirReason() throws Exception {
    Path csv = Files.createTempFile("edl-ingest", ".csv");
    Files.writeString(
        csv,
        String.join(
            "\n",
            "a,b,c,y",
            "0.1,0.2,0.3,0",
            "1.0,2.0,3.0,2",
            "0.5,NaN,0.5,1",
            "0.5,0.5,0.5,",
            "0.5,0.5,0.5,7",
            "0.5,,0.5,1",
            "4,5,6,1",
            ""));
    var config = config(settings("csv", csv.toString()));
    IngestStage.Result r =
        new IngestStage(
                new io.edldist.jobs.lake.Lake(spark, lakeDir.resolve("csv").toString()), config)
            .execute();
    assertThat(r.train()).isEqualTo(3);
    assertThat(r.rejected()).isEqualTo(4);
    assertThat(r.rejectReasons())
        .containsEntry("label is null or not a number", 1L)
        .containsEntry("label 7 outside 0..2", 1L)
        .containsEntry("feature is NaN, null or not a number", 2L);
    List<Row> samples =
        sql("SELECT label, features FROM " + table("csv/samples") + " ORDER BY id").collectAsList();
    assertThat(samples).hasSize(3);
    assertThat(samples.get(1).getList(1)).containsExactly(1.0f, 2.0f, 3.0f);
    assertThat(
            sql("SELECT count(*) FROM " + table("csv/rejects") + " WHERE record LIKE '%NaN%'")
                .first()
                .getLong(0))
        .isEqualTo(1);
    var props =
        new io.edldist.jobs.lake.Lake(spark, lakeDir.resolve("csv").toString())
            .properties("samples");
    assertThat(props)
        .containsEntry(SamplesMeta.TYPE, Features.FLOAT)
        .containsEntry(SamplesMeta.SHAPE, "3");

    // a re-run replaces the rejects of this source instead of adding them again
    new IngestStage(new io.edldist.jobs.lake.Lake(spark, lakeDir.resolve("csv").toString()), config)
        .execute();
    assertThat(sql("SELECT count(*) FROM " + table("csv/rejects")).first().getLong(0)).isEqualTo(4);
  }

  @Test
  void parquetWithAnArrayColumnAndWrongLengths() throws Exception {
    Path parquet = lakeDir.resolve("input.parquet");
    sql("SELECT id, CASE WHEN id = 3 THEN array(1.0D, 2.0D) ELSE array(1.0D, 2.0D, 3.0D, 4.0D) END AS x,"
            + " CAST(id % 3 AS INT) AS y, CASE WHEN id < 8 THEN 'train' ELSE 'test' END AS part"
            + " FROM range(10)")
        .write()
        .parquet(parquet.toString());
    Map<String, String> s = settings("parquet", parquet.toString());
    s.put("ingest.feature-cols", "x");
    s.put("ingest.id-col", "id");
    s.put("ingest.split-col", "part");
    s.put("ingest.feature-shape", "1,2,2");
    IngestStage.Result r =
        new IngestStage(
                new io.edldist.jobs.lake.Lake(spark, lakeDir.resolve("parquet").toString()),
                config(s))
            .execute();
    assertThat(r.train()).isEqualTo(7);
    assertThat(r.test()).isEqualTo(2);
    assertThat(r.rejectReasons()).containsOnlyKeys("feature length 2, expected 4");
    assertThat(
            sql("SELECT collect_list(id) FROM "
                    + table("parquet/samples")
                    + " WHERE split = 'test'")
                .first()
                .getList(0))
        .containsExactlyInAnyOrder(8L, 9L);
  }
}
