package io.edldist.jobs.results;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The results files that measured runs leave in the repository ({@code bench/results/}, {@code
 * reliability/}) and that the documents are rendered from: JSON with snake_case keys, one typed
 * record per kind, named by the run's timestamp so that names sort by time.
 */
public final class ResultsFiles {
  static final ObjectMapper JSON =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private static Optional<String> commit;

  private ResultsFiles() {}

  /**
   * Now, as results files name their run: {@code yyyyMMdd-HHmmss}. A run takes its stamp when it
   * starts, so this also fixes the {@link #gitCommit} its results record: the code that started,
   * not a working tree edited while the run went on.
   */
  public static String stamp() {
    gitCommit();
    return LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
  }

  /** A result as the JSON text of its file. */
  public static String json(Object result) {
    try {
      return JSON.writeValueAsString(result) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise " + result.getClass().getSimpleName(), e);
    }
  }

  /** Writes {@code result} as {@code dir/name}; returns the file. */
  public static Path write(Path dir, String name, Object result) {
    Path file = dir.resolve(name);
    try {
      Files.createDirectories(dir);
      Files.writeString(file, json(result));
      return file;
    } catch (IOException e) {
      throw EdlException.cannot("write " + file, e, "Check that the folder is writable");
    }
  }

  public static <T> T read(Path file, Class<T> type) {
    try {
      return JSON.readValue(file.toFile(), type);
    } catch (IOException e) {
      throw EdlException.cannot("read results file " + file, e, "Fix or remove the file");
    }
  }

  /** The JSON files in {@code dir} whose names start with {@code prefix}, oldest first. */
  public static List<Path> list(Path dir, String prefix) {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (var files = Files.list(dir)) {
      files
          .filter(f -> f.getFileName().toString().startsWith(prefix))
          .filter(f -> f.getFileName().toString().endsWith(".json"))
          .sorted()
          .forEach(out::add);
    } catch (IOException e) {
      throw EdlException.cannot("list " + dir, e, "Check the folder");
    }
    return out;
  }

  /**
   * The short git commit of the working directory, with {@code +changes} when tracked files differ
   * from it; null outside a git checkout. Read once per JVM, at the first call.
   */
  public static synchronized String gitCommit() {
    if (commit == null) {
      commit = Optional.ofNullable(readGitCommit());
    }
    return commit.orElse(null);
  }

  private static String readGitCommit() {
    String head = git("rev-parse", "--short=12", "HEAD");
    if (head == null || head.isEmpty()) {
      return null;
    }
    String changes =
        git(
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":!*.md",
            ":!bench/results",
            ":!reliability");
    return changes == null || changes.isEmpty() ? head : head + "+changes";
  }

  private static String git(String... args) {
    try {
      java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("git"));
      command.addAll(java.util.List.of(args));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
