package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edldist.jobs.blockwise.BlockwiseStage;
import io.edldist.jobs.cli.Main;
import io.edldist.jobs.teacher.TrainTeacherStage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The blockwise stage on a slice of Fashion-MNIST from an empty lake: it runs ingest, the VGG
 * teacher and its soft labels itself, trains six blocks as parallel tasks, assembles, fine-tunes
 * and reports; a re-run reuses the trained blocks; teachers without replaceable blocks fail with
 * exit 2 through the command line.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BlockwiseIT extends SparkTestBase {
  private static final String TORCHSCRIPT =
      "src/test/resources/teachers/torchscript-cnn/teacher.pt";
  private static Map<String, String> settings;

  @BeforeAll
  static void setUp() {
    settings = new TreeMap<>(slice());
    settings.put("blockwise.teacher-epochs", "4");
    settings.put("blockwise.rows", "1200");
    settings.put("blockwise.epochs", "2");
    settings.put("blockwise.profile-batches", "1");
    settings.put("blockwise.validation-rows", "200");
    settings.put("blockwise.max-drop", "1");
    settings.put("blockwise.finetune-epochs", "2");
  }

  @Test
  @Order(1)
  void emptyLakeToAssembledFineTunedStudentWithReport() throws Exception {
    BlockwiseStage.Result r = new BlockwiseStage(lake(), config(settings), "bw-it").execute();
    assertThat(r.teacher().meta().id()).startsWith("teacher-vgg@");
    assertThat(r.student().meta().arch()).isEqualTo("vgg-ds:111111");
    assertThat(r.blocks()).hasSize(6).noneMatch(BlockwiseStage.BlockRun::reused);
    assertThat(sql("SELECT DISTINCT teacher_id FROM " + table("soft_labels")).count()).isOne();
    JsonNode json =
        new ObjectMapper()
            .readTree(Files.readString(lakeDir.resolve("reports/bw-it/blockwise.json")));
    assertThat(json.at("/blocks_replaced")).hasSize(6);
    double teacher = json.at("/teacher/test_accuracy").asDouble();
    double student = json.at("/student/test_accuracy").asDouble();
    assertThat(teacher).isEqualTo(r.run().teacher().testAccuracy()).isGreaterThan(0.8);
    // all six blocks replaced after two epochs each and two epochs of fine-tuning: far above
    // chance (0.1), agreeing with the teacher it was distilled from on most samples
    assertThat(student).isGreaterThan(0.4);
    assertThat(json.at("/student/agreement").asDouble()).isGreaterThan(0.4);
    for (String role : List.of("teacher", "student")) {
      assertThat(json.at("/" + role + "/params").asLong()).isPositive();
      assertThat(json.at("/" + role + "/macs").asLong()).isPositive();
    }
    assertThat(json.at("/student/macs").asDouble() / json.at("/teacher/macs").asDouble())
        .isLessThan(0.4);
    assertThat(json.at("/student/params").asDouble() / json.at("/teacher/params").asDouble())
        .isLessThan(0.4);
  }

  @Test
  @Order(2)
  void reRunReusesBlocksTrainedForTheSameTeacherAndSettings() {
    Map<String, String> again = new TreeMap<>(settings);
    again.put("blockwise.blocks", "2,3");
    again.put("blockwise.schedule", "round-robin");
    again.put("blockwise.finetune-epochs", "0");
    BlockwiseStage.Result r = new BlockwiseStage(lake(), config(again), "bw-it-2").execute();
    assertThat(r.blocks()).hasSize(2).allMatch(BlockwiseStage.BlockRun::reused);
    assertThat(r.run().blocksReplaced()).containsExactly("block2", "block3");
    assertThat(r.student().meta().arch()).isEqualTo("vgg-ds:011000");
  }

  @Test
  @Order(3)
  void teacherWithoutReplaceableBlocksIsExitTwoNamingTheBlock() {
    Map<String, String> cnn = new TreeMap<>(settings);
    cnn.put("teacher.name", "plain-cnn");
    cnn.put("teacher.epochs", "1");
    new TrainTeacherStage(lake(), config(cnn), "bw-it").execute();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    int badBlock;
    int torchScript;
    try {
      code = cli("--set", "blockwise.teacher-name=plain-cnn", "--set", "run.id=bw-bad");
      badBlock = cli("--set", "blockwise.blocks=2,9", "--set", "run.id=bw-bad");
      torchScript = cli("--set", "teacher.path=" + TORCHSCRIPT, "--set", "run.id=bw-bad");
    } finally {
      System.setErr(oldErr);
    }
    String[] lines = err.toString(StandardCharsets.UTF_8).strip().split("\n");
    assertThat(code).isEqualTo(2);
    assertThat(badBlock).isEqualTo(2);
    assertThat(torchScript).isEqualTo(2);
    assertThat(String.join("\n", lines))
        .contains("edl-dist: Cannot replace the blocks of teacher plain-cnn@")
        .contains("block 'conv1' is a bare 3x3 convolution")
        .contains("Invalid blockwise.blocks '2,9': block 9 does not exist")
        .contains("Cannot replace the blocks of teacher teacher-vgg@")
        .contains("it is a TorchScript module");
    assertThat(lines[lines.length - 1]).startsWith("edl-dist: Cannot replace the blocks");
    assertThat(lakeDir.resolve("models/teacher-vgg/LATEST")).content().isNotEmpty();
    assertThat(
            new io.edldist.jobs.lake.ModelStore(lake()).latest("teacher-vgg").get().meta().arch())
        .isEqualTo("vgg");
    assertThat(lakeDir.resolve("reports/bw-bad")).doesNotExist();
  }

  private static int cli(String... extra) {
    List<String> args = new ArrayList<>(List.of("--lake", lakeDir.toString()));
    settings.forEach(
        (k, v) -> {
          if (!k.equals("lake")) {
            args.addAll(List.of("--set", k + "=" + v));
          }
        });
    args.addAll(List.of(extra));
    args.add("blockwise");
    return Main.run(args.toArray(String[]::new));
  }
}
