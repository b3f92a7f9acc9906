package io.edldist.jobs.testdata;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edldist.jobs.ingest.IdxReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticImagesTest {
  private static final Path EXPECTED =
      Path.of("src/test/resources/teachers/torchscript-cnn/expected.json");
  private static final String[] FILES = {
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz"
  };

  @TempDir Path dir;

  @Test
  void writesAnIdxFolderTheReaderReadsBack() throws IOException {
    var folder =
        new org.apache.hadoop.fs.Path(SyntheticImages.write(dir.resolve("idx"), 30, 20).toUri());
    IdxReader reader =
        new IdxReader(
            org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration()));
    assertThat(reader.looksLikeIdxFolder(folder)).isTrue();
    IdxReader.Split train = reader.readSplit(folder, "train", "train");
    IdxReader.Split test = reader.readSplit(folder, "t10k", "test");
    assertThat(train.images().count()).isEqualTo(30);
    assertThat(test.images().count()).isEqualTo(20);
    for (IdxReader.Split split : new IdxReader.Split[] {train, test}) {
      assertThat(split.images().rows()).isEqualTo(28);
      assertThat(split.images().cols()).isEqualTo(28);
      byte[] pixels = split.images().pixels();
      int size = 28 * 28;
      for (int i = 0; i < split.labels().length; i++) {
        assertThat(Arrays.copyOfRange(pixels, i * size, (i + 1) * size))
            .isEqualTo(SyntheticImages.image(split.name(), i));
        assertThat(split.labels()[i] & 0xFF).isEqualTo(SyntheticImages.label(split.name(), i));
      }
    }
  }

  @Test
  void twoWritesGiveIdenticalBytes() throws IOException {
    Path a = SyntheticImages.write(dir.resolve("a"), 50, 10);
    Path b = SyntheticImages.write(dir.resolve("b"), 50, 10);

    for (String file : FILES) {
      assertThat(Files.readAllBytes(b.resolve(file)))
          .isEqualTo(Files.readAllBytes(a.resolve(file)));
    }
  }

  @Test
  void trainAndTestDiffer() {
    assertThat(SyntheticImages.image("test", 0)).isNotEqualTo(SyntheticImages.image("train", 0));
  }

  @Test
  void everyClassIsPresentInRoughlyEqualNumbers() {
    Map<Integer, Integer> counts = new TreeMap<>();
    for (int i = 0; i < 1000; i++) {
      counts.merge(SyntheticImages.label("train", i), 1, Integer::sum);
    }

    assertThat(counts).containsOnlyKeys(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(50, 150));
  }

  @Test
  void imagesMatchThePythonPort() throws IOException, NoSuchAlgorithmException {
    JsonNode synthetic = new ObjectMapper().readTree(EXPECTED.toFile()).get("synthetic");
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    for (int i = 0; i < 64; i++) {
      sha.update(SyntheticImages.image("test", i));
    }

    assertThat(HexFormat.of().formatHex(sha.digest()))
        .isEqualTo(synthetic.get("images_sha256").asText());
    for (int i = 0; i < 8; i++) {
      assertThat(SyntheticImages.label("test", i))
          .isEqualTo(synthetic.at("/test_labels/" + i).asInt());
    }
  }
}
