package io.edldist.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdlConfigTest {
  @TempDir Path dir;

  @Test
  void defaultsApplyWhenNothingIsSet() {
    EdlConfig config = EdlConfig.load(null, Map.of());
    assertThat(config.get(EdlConfig.TRAIN_EPOCHS)).isEqualTo(20);
    assertThat(config.get(EdlConfig.TRAIN_TEMPERATURE)).isEqualTo(1.0);
    assertThat(config.get(EdlConfig.LAKE)).isEqualTo("./lake");
  }

  @Test
  void commandLineBeatsFileBeatsDefaults() throws IOException {
    Path file = dir.resolve("edl.conf");
    Files.writeString(
        file, "train.epochs = 7\ntrain.batch-size=64\nspark.sql.shuffle.partitions=3\n");
    EdlConfig config = EdlConfig.load(file, Map.of("train.epochs", "2"));
    assertThat(config.get(EdlConfig.TRAIN_EPOCHS)).isEqualTo(2);
    assertThat(config.get(EdlConfig.TRAIN_BATCH_SIZE)).isEqualTo(64);
    assertThat(config.get(EdlConfig.TRAIN_ALPHA)).isEqualTo(0.5);
    assertThat(config.sparkSettings()).containsEntry("spark.sql.shuffle.partitions", "3");
  }

  @Test
  void unknownKeySuggestsTheClosestOne() {
    assertThatThrownBy(() -> EdlConfig.load(null, Map.of("train.epoch", "3")))
        .isInstanceOf(EdlException.class)
        .hasMessageStartingWith("Invalid --set 'train.epoch': no such setting")
        .hasMessageContaining("Did you mean 'train.epochs'?");
  }

  @Test
  void unknownKeyInFileNamesTheFile() throws IOException {
    Path file = dir.resolve("edl.conf");
    Files.writeString(file, "teacher.size=3\n");
    assertThatThrownBy(() -> EdlConfig.load(file, Map.of()))
        .hasMessageContaining("key in " + file + " 'teacher.size'");
  }

  @Test
  void badValuesNameTheKeyAndTheRule() {
    assertThatThrownBy(() -> EdlConfig.load(null, Map.of("train.epochs", "ten")))
        .hasMessage(
            "Invalid value for train.epochs: 'ten' is not a whole number of 1 or more. Use for"
                + " example --set train.epochs=20.");
    assertThatThrownBy(() -> EdlConfig.load(null, Map.of("train.alpha", "1.5")))
        .hasMessageContaining("'1.5' is not a number from 0 to 1");
    assertThatThrownBy(() -> EdlConfig.load(null, Map.of("train.temperature", "0")))
        .hasMessageContaining("greater than 0");
    assertThatThrownBy(() -> EdlConfig.load(null, Map.of("student.arch", "resnet")))
        .hasMessageContaining("one of mlp, small-cnn, cnn");
  }

  @Test
  void missingConfigFileIsAUserError() {
    assertThatThrownBy(() -> EdlConfig.load(dir.resolve("nope.conf"), Map.of()))
        .isInstanceOf(EdlException.class)
        .hasMessageStartingWith("Cannot read config file");
  }

  /** conf/edl-dist.conf documents every setting at its default. */
  @Test
  void shippedConfigFileListsEveryKeyAtItsDefault() throws IOException {
    Path conf = Path.of("..", "conf", "edl-dist.conf");
    Properties p = new Properties();
    String uncommented = Files.readString(conf).replaceAll("(?m)^# ?([a-z][a-z.-]+ ?=)", "$1");
    p.load(new java.io.StringReader(uncommented));
    for (EdlConfig.Key<?> key : EdlConfig.keys()) {
      assertThat(p.getProperty(key.name()))
          .as("conf/edl-dist.conf entry for " + key.name())
          .isEqualTo(key.defaultValue());
    }
    EdlConfig.load(conf, Map.of());
  }

  @Test
  void editDistance() {
    assertThat(EdlConfig.editDistance("kitten", "sitting")).isEqualTo(3);
    assertThat(EdlConfig.editDistance("", "abc")).isEqualTo(3);
  }
}
