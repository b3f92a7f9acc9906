package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input through the real command line: exit code 2, one line naming the input, the problem and
 * the fix, and no table written.
 */
class BadInputIT extends SparkTestBase {
  @TempDir Path data;
  @TempDir Path lake;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream oldErr;

  @BeforeEach
  void captureStderr() {
    oldErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreStderr() {
    System.setErr(oldErr);
  }

  private int run(String... args) {
    List<String> all = new ArrayList<>(List.of("--lake", lake.toString()));
    SparkTestBase.sparkSettings().forEach((k, v) -> all.addAll(List.of("--set", k + "=" + v)));
    all.addAll(List.of(args));
    return Main.run(all.toArray(String[]::new));
  }

  private String errorLine() {
    String[] lines = err.toString(StandardCharsets.UTF_8).strip().split("\n");
    return lines[lines.length - 1];
  }

  private static void writeIdx(Path file, int magic, int[] dims, int dataBytes, boolean gzip)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(magic);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(new byte[dataBytes]);
    }
    if (gzip) {
      try (var gz = new GZIPOutputStream(Files.newOutputStream(file))) {
        gz.write(bytes.toByteArray());
      }
    } else {
      Files.write(file, bytes.toByteArray());
    }
  }

  private void validIdxFolder(int train, int test) throws IOException {
    writeIdx(
        data.resolve("train-images-idx3-ubyte.gz"),
        2051,
        new int[] {train, 28, 28},
        train * 784,
        true);
    writeIdx(data.resolve("train-labels-idx1-ubyte.gz"), 2049, new int[] {train}, train, true);
    writeIdx(
        data.resolve("t10k-images-idx3-ubyte.gz"),
        2051,
        new int[] {test, 28, 28},
        test * 784,
        true);
    writeIdx(data.resolve("t10k-labels-idx1-ubyte.gz"), 2049, new int[] {test}, test, true);
  }

  private boolean samplesExist() {
    return Files.exists(lake.resolve("samples"));
  }

  @Test
  void truncatedIdxFile() throws IOException {
    validIdxFolder(20, 10);
    writeIdx(
        data.resolve("train-images-idx3-ubyte.gz"), 2051, new int[] {20, 28, 28}, 5 * 784, true);
    assertThat(run("--data", data.toString(), "ingest")).isEqualTo(2);
    assertThat(errorLine()).contains("train-images-idx3-ubyte.gz").contains("truncated");
    assertThat(samplesExist()).isFalse();
  }

  @Test
  void wrongMagicNumber() throws IOException {
    validIdxFolder(20, 10);
    writeIdx(
        data.resolve("t10k-labels-idx1-ubyte.gz"), 2051, new int[] {10, 28, 28}, 10 * 784, true);
    assertThat(run("--data", data.toString(), "ingest")).isEqualTo(2);
    assertThat(errorLine()).contains("t10k-labels-idx1-ubyte.gz").contains("expected 2049");
    assertThat(samplesExist()).isFalse();
  }

  @Test
  void garbledGzip() throws IOException {
    validIdxFolder(20, 10);
    Path f = data.resolve("train-labels-idx1-ubyte.gz");
    byte[] b = Files.readAllBytes(f);
    for (int i = 12; i < b.length - 8; i++) {
      b[i] ^= 0x5A;
    }
    Files.write(f, b);
    assertThat(run("--data", data.toString(), "ingest")).isEqualTo(2);
    assertThat(errorLine()).contains("train-labels-idx1-ubyte.gz").containsIgnoringCase("gzip");
    assertThat(samplesExist()).isFalse();
  }

  @Test
  void imageAndLabelCountsDisagree() throws IOException {
    validIdxFolder(20, 10);
    writeIdx(data.resolve("train-labels-idx1-ubyte.gz"), 2049, new int[] {19}, 19, true);
    assertThat(run("--data", data.toString(), "ingest")).isEqualTo(2);
    assertThat(errorLine()).contains("20 images").contains("19 labels");
    assertThat(samplesExist()).isFalse();
  }

  @Test
  void missingDataFolder() {
    assertThat(run("--data", data.resolve("nope").toString(), "ingest")).isEqualTo(2);
    assertThat(errorLine()).contains("nope").contains("no such file or folder");
  }

  @Test
  void unknownSettingAndBadFlag() {
    assertThat(run("--set", "train.epoch=3", "train")).isEqualTo(2);
    assertThat(errorLine()).contains("Did you mean 'train.epochs'?");
    assertThat(run("train", "--mode")).isEqualTo(2);
    assertThat(run("no-such-command")).isEqualTo(2);
  }

  @Test
  void commandsThatNeedEarlierStagesSayWhichCommandToRun() throws IOException {
    assertThat(run("train-teacher")).isEqualTo(2);
    assertThat(errorLine()).contains("Cannot read table samples").contains("edl-dist ingest");
    assertThat(run("infer")).isEqualTo(2);
    assertThat(errorLine()).contains("Cannot read table samples").contains("edl-dist ingest");
    validIdxFolder(20, 10);
    assertThat(run("--data", data.toString(), "ingest")).isEqualTo(0);
    assertThat(run("infer")).isEqualTo(2);
    assertThat(errorLine())
        .contains("Cannot find model 'teacher'")
        .contains("edl-dist train-teacher");
  }

  @Test
  void badSqlIsAUserError() {
    assertThat(run("sql", "SELEC nonsense")).isEqualTo(2);
    assertThat(errorLine()).startsWith("edl-dist: Invalid query");
  }

  @Test
  void anUnknownSqlFormatIsAUserError() {
    assertThat(run("sql", "--format", "xml", "SELECT 1")).isEqualTo(2);
    assertThat(errorLine())
        .startsWith("edl-dist: Invalid --format xml")
        .contains("table, csv or json");
  }

  @Test
  void aSqlFunctionCalledWithABadArgumentIsAUserError() {
    assertThat(run("sql", "SELECT kd_softmax(array(1.0), 0)")).isEqualTo(2);
    assertThat(errorLine())
        .startsWith("edl-dist: Invalid kd_softmax temperature 0")
        .contains("greater than 0");
    assertThat(run("sql", "SELECT kd_topk(array(1.0, 2.0), 0)")).isEqualTo(2);
    assertThat(errorLine()).startsWith("edl-dist: Invalid kd_topk k 0");
  }

  @Test
  void brokenTeacherFileFailsFastNamingIt() throws IOException {
    validIdxFolder(20, 10);
    assertThat(run("--data", data.toString(), "ingest")).isEqualTo(0);
    Path teacher = data.resolve("broken.pt");
    Files.writeString(teacher, "this is not TorchScript");
    assertThat(run("infer", "--teacher", teacher.toString())).isEqualTo(2);
    assertThat(errorLine()).contains("Cannot load model teacher@").contains("TorchScript");
    assertThat(Files.exists(lake.resolve("soft_labels"))).isFalse();
  }
}
