package io.edldist.jobs.lake;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** Scratch folders on the driver's local disk (clusters and lakes of chaos runs and benchmarks). */
public final class LocalFiles {
  private LocalFiles() {}

  /** Deletes a folder and everything under it; a missing folder is fine. */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Copies a folder and everything under it to {@code to}, which must not exist yet. */
  public static void copyTree(Path from, Path to) throws IOException {
    Files.createDirectories(to.toAbsolutePath().getParent());
    try (var paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }
}
