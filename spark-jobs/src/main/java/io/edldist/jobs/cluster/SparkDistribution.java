package io.edldist.jobs.cluster;

import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Spark distribution's folder made from the Spark jars this project builds against: {@code
 * RELEASE} and {@code jars/}, which Spark's launcher and Workers look for. The jars are symbolic
 * links to Maven's copies (the list is {@code spark-dist/target/spark-classpath.txt}, Spark's own
 * dependency tree and nothing of edl-dist), so a driver started through {@code spark-submit} and
 * the executors a Worker forks see exactly what a Spark 4.0.1 download would give them, and the job
 * jar must bring the rest.
 */
public final class SparkDistribution {
  private SparkDistribution() {}

  /** The distribution of the edl-dist build in {@code home}: {@code spark-dist/target/spark}. */
  public static Path of(Path home) {
    return at(
        home.resolve("spark-dist/target/spark"),
        home.resolve("spark-dist/target/spark-classpath.txt"));
  }

  /**
   * The distribution in {@code dir}, made first if needed (or again when the list is newer) from
   * the jars listed in {@code classpathFile} (entries separated by the path separator).
   */
  public static Path at(Path dir, Path classpathFile) {
    Path release = dir.resolve("RELEASE");
    try {
      if (Files.isRegularFile(release)
          && Files.getLastModifiedTime(release).compareTo(Files.getLastModifiedTime(classpathFile))
              >= 0) {
        return dir;
      }
    } catch (IOException e) {
      // no list to compare with: made below, which names the missing file
    }
    List<Path> jars = new ArrayList<>();
    try {
      for (String entry :
          Files.readString(classpathFile).strip().split(java.io.File.pathSeparator)) {
        if (entry.endsWith(".jar")) {
          jars.add(Path.of(entry));
        }
      }
      Path lib = Files.createDirectories(dir.resolve("jars"));
      Files.createDirectories(dir.resolve("conf"));
      for (Path jar : jars) {
        Path link = lib.resolve(jar.getFileName());
        if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          Files.createSymbolicLink(link, jar.toAbsolutePath());
        }
      }
      Files.writeString(
          dir.resolve("RELEASE"),
          "Spark jars of the edl-dist build, linked from " + classpathFile + "\n");
    } catch (IOException e) {
      throw EdlException.cannot(
          "make a Spark distribution folder in " + dir,
          e,
          "Build the project first (mvn -B package writes " + classpathFile + ")");
    }
    return dir;
  }

  /** Its jars, as a classpath for a JVM of Spark's (the launcher, a daemon). */
  public static String classpath(Path dist) {
    return dist.resolve("jars") + "/*";
  }

  /** The names of its jars, for messages and tests. */
  public static List<String> jarNames(Path dist) {
    String[] names = dist.resolve("jars").toFile().list();
    return names == null ? List.of() : Arrays.stream(names).sorted().toList();
  }
}
