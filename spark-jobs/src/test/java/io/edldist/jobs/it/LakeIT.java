package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.LocalFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LakeIT extends SparkTestBase {
  @Test
  void seesATableAnotherProcessCreatedAfterThisSessionLooked() throws Exception {
    Lake lake = lake();
    // an aborted first write leaves an empty log folder behind
    Files.createDirectories(lakeDir.resolve("late/_delta_log"));
    assertThat(lake.hasTable("late")).isFalse();
    spark.range(5).write().format("delta").save(lakeDir.resolve("elsewhere").toString());
    // what a writer in another process does: the table appears on storage
    Path source = lakeDir.resolve("elsewhere");
    try (Stream<Path> files = Files.walk(source)) {
      for (Path f : files.toList()) {
        Path target = lakeDir.resolve("late").resolve(source.relativize(f));
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    assertThat(lake.hasTable("late")).isTrue();
    assertThat(lake.read("late").count()).isEqualTo(5);
    LocalFiles.deleteTree(lakeDir.resolve("late"));
  }
}
