package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.ml.TeacherTransformer;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.model.ModelCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link TeacherTransformer} on a lake whose soft labels the infer stage wrote with the TorchScript
 * test teacher: from the file and from the lake's model store, on uint8 and float features, alone
 * and in a saved and loaded Pipeline, it gives the logits infer wrote (and PyTorch gave).
 */
class TeacherTransformerIT extends SparkTestBase {
  private static final Path FIXTURE = Path.of("src/test/resources/teachers/torchscript-cnn");
  private static final String TEACHER = FIXTURE.resolve("teacher.pt").toString();
  private static Lake lake;
  private static String shape;
  private static Map<Long, List<Float>> softLabels;

  @BeforeAll
  static void inferSoftLabels() {
    Map<String, String> settings = new TreeMap<>(slice());
    settings.put("lake", lakeDir.resolve("ml").toString());
    settings.put("teacher.path", TEACHER);
    EdlConfig config = config(settings);
    lake = new Lake(spark, settings.get("lake"));
    new IngestStage(lake, config).execute();
    new InferStage(lake, config, "ml-it").execute();
    shape = SamplesMeta.of(lake).features().shapeString();
    softLabels = logits(lake.read(Lake.SOFT_LABELS));
  }

  @Test
  void aTorchScriptFileGivesTheLogitsOfInferAndPyTorch() throws Exception {
    TeacherTransformer teacher =
        new TeacherTransformer().setModelPath(TEACHER).setInputShape(shape).setBatchSize(64);
    Dataset<Row> scored = teacher.transform(lake.read(Lake.SAMPLES));
    assertThat(scored.columns()).containsExactly("id", "split", "label", "features", "logits");
    assertSameLogits(logits(scored), softLabels);

    JsonNode expected =
        new ObjectMapper().readTree(FIXTURE.resolve("expected.json").toFile()).get("synthetic");
    Map<Long, List<Float>> byId = logits(scored);
    for (int i = 0; i < 8; i++) {
      List<Float> row = byId.get(expected.at("/first_test_ids/" + i).asLong());
      for (int c = 0; c < 10; c++) {
        assertThat((double) row.get(c))
            .isCloseTo(expected.at("/logits/" + i + "/" + c).asDouble(), within(1e-4));
      }
    }
    // the model is loaded once per JVM: scoring again loads nothing
    int loads = ModelCache.loads();
    assertThat(teacher.transform(lake.read(Lake.SAMPLES)).count()).isEqualTo(TRAIN + TEST);
    assertThat(ModelCache.loads()).isEqualTo(loads);
  }

  @Test
  void theLakesStoredTeacherGivesTheSameLogits() {
    TeacherTransformer teacher =
        new TeacherTransformer().setLake(lake.root()).setOutputCol("teacher_logits");
    Dataset<Row> scored = teacher.transform(lake.read(Lake.SAMPLES).select("id", "features"));
    assertSameLogits(logits(scored.withColumnRenamed("teacher_logits", "logits")), softLabels);
  }

  @Test
  void floatFeaturesGiveTheLogitsOfTheirPixels() {
    List<Row> rows = new ArrayList<>();
    for (Row r : lake.read(Lake.SAMPLES).select("id", "features").limit(20).collectAsList()) {
      List<Float> floats = new ArrayList<>();
      for (byte b : (byte[]) r.get(1)) {
        floats.add((b & 0xFF) / 255f);
      }
      rows.add(RowFactory.create(r.getLong(0), floats));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("pixels", DataTypes.createArrayType(DataTypes.FloatType));
    Dataset<Row> scored =
        new TeacherTransformer()
            .setModelPath(TEACHER)
            .setInputShape(shape)
            .setInputCol("pixels")
            .transform(spark.createDataFrame(rows, schema));
    Map<Long, List<Float>> expected = new HashMap<>();
    logits(scored).keySet().forEach(id -> expected.put(id, softLabels.get(id)));
    assertThat(expected).hasSize(20);
    assertSameLogits(logits(scored), expected);
  }

  @Test
  void aSavedPipelineLoadsAndGivesTheSameLogits() throws Exception {
    Dataset<Row> samples = lake.read(Lake.SAMPLES);
    PipelineModel fitted =
        new Pipeline()
            .setStages(
                new PipelineStage[] {
                  new TeacherTransformer()
                      .setModelPath(TEACHER)
                      .setInputShape(shape)
                      .setBatchSize(32)
                })
            .fit(samples);
    String saved = lakeDir.resolve("pipeline").toString();
    fitted.write().overwrite().save(saved);
    PipelineModel loaded = PipelineModel.load(saved);
    TeacherTransformer stage = (TeacherTransformer) loaded.stages()[0];
    assertThat(stage.getOrDefault(stage.batchSize())).isEqualTo(32);
    assertThat(stage.getOrDefault(stage.modelPath())).isEqualTo(TEACHER);
    assertSameLogits(logits(loaded.transform(samples)), softLabels);
  }

  @Test
  void badInputIsOneLineNamingTheParam() {
    Dataset<Row> samples = lake.read(Lake.SAMPLES);
    TeacherTransformer teacher =
        new TeacherTransformer().setModelPath(TEACHER).setInputShape(shape);
    assertOneLine(() -> teacher.setInputCol("pixels").transform(samples))
        .startsWith("Invalid TeacherTransformer inputCol 'pixels': the input has no such column")
        .contains("id, split, label, features");
    assertOneLine(() -> teacher.setInputCol("label").transform(samples))
        .startsWith("Invalid TeacherTransformer inputCol 'label': its type is INT");
    assertOneLine(() -> teacher.setInputCol("features").setOutputCol("label").transform(samples))
        .startsWith("Invalid TeacherTransformer outputCol 'label'");
    assertOneLine(() -> new TeacherTransformer().transform(samples))
        .startsWith("Invalid TeacherTransformer model: neither modelPath nor lake is set");
    assertOneLine(() -> new TeacherTransformer().setModelPath(TEACHER).transform(samples))
        .startsWith("Invalid TeacherTransformer inputShape ''");
    assertOneLine(
            () ->
                new TeacherTransformer()
                    .setModelPath(TEACHER)
                    .setInputShape("3,32,32")
                    .transform(samples))
        .startsWith("Cannot run teacher teacher@");
  }

  private static org.assertj.core.api.AbstractStringAssert<?> assertOneLine(Runnable call) {
    Throwable[] thrown = new Throwable[1];
    assertThatThrownBy(call::run).isInstanceOf(EdlException.class).satisfies(e -> thrown[0] = e);
    return assertThat(thrown[0].getMessage()).doesNotContain("\n");
  }

  private static Map<Long, List<Float>> logits(Dataset<Row> rows) {
    Map<Long, List<Float>> byId = new HashMap<>();
    for (Row r : rows.select("id", "logits").collectAsList()) {
      byId.put(r.getLong(0), r.getList(1));
    }
    return byId;
  }

  private static void assertSameLogits(Map<Long, List<Float>> actual, Map<Long, List<Float>> soft) {
    assertThat(actual.keySet()).isEqualTo(soft.keySet());
    soft.forEach(
        (id, expected) -> {
          List<Float> got = actual.get(id);
          assertThat(got).as("logits of sample %d", id).hasSameSizeAs(expected);
          for (int c = 0; c < expected.size(); c++) {
            assertThat(got.get(c))
                .as("sample %d class %d", id, c)
                .isCloseTo(expected.get(c), within(1e-5f));
          }
        });
  }
}
