package io.edldist.jobs.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A figure says when the code it measured has changed since, from a real git history. */
class CodeSinceTest {
  @TempDir Path repo;

  @Test
  void onlyAChangeToMeasuredCodeAgesAFigure() throws Exception {
    git("init", "-q");
    Path infer = repo.resolve("spark-jobs/src/main/java/io/edldist/jobs/infer/InferStage.java");
    Path readme = repo.resolve("README.md");
    write(infer, "class InferStage {}");
    write(readme, "# readme");
    String measured = commit("the run's code");
    CodeSince since = new CodeSince(repo);
    assertThat(since.note(measured, "bin/edl-dist chaos", "chaos")).isEmpty();

    write(readme, "# readme, edited");
    commit("docs only");
    assertThat(since.note(measured, "bin/edl-dist chaos", "chaos")).isEmpty();

    write(infer, "class InferStage { int faster; }");
    write(repo.resolve("udfs/src/main/java/io/edldist/udfs/infer/Predictor.java"), "class P {}");
    git("add", "-A");
    assertThat(since.note(measured, "bin/edl-dist chaos", "chaos"))
        .as("a change not committed yet counts: a document rendered now stays true after it")
        .contains(" 2 file(s)");
    commit("infer changed");
    assertThat(since.note(measured, "bin/edl-dist chaos", "chaos"))
        .isEqualTo(
            " **Measured on older code:** 2 file(s) it ran have changed since `"
                + measured
                + "` (`infer/`, `udfs/`); run `bin/edl-dist chaos` for figures of this version.");
  }

  @Test
  void aCommitNoHistoryHoldsIsSaidPlainly() throws Exception {
    git("init", "-q");
    write(repo.resolve("README.md"), "# readme");
    commit("first");
    assertThat(new CodeSince(repo).note("0123456789ab", "bin/edl-dist bench", "bench"))
        .isEqualTo(
            " Whether the code changed since `0123456789ab` cannot be told here (no git history"
                + " holds it).");
    assertThat(new CodeSince(repo).note(null, "bin/edl-dist bench", "bench"))
        .contains("recorded no commit");
    assertThat(new CodeSince(repo).note("0123456789ab+changes", "bin/edl-dist bench", "bench"))
        .isEqualTo(
            " The run measured uncommitted changes on `0123456789ab`: run `bin/edl-dist bench` for"
                + " figures of known code.");
    assertThat(new CodeSince(repo).hasHistory()).isTrue();
    assertThat(new CodeSince(repo.resolve("not-a-repository")).hasHistory()).isFalse();
  }

  private void write(Path file, String text) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  private String commit(String message) throws Exception {
    git("add", "-A");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message);
    return git("rev-parse", "--short=12", "HEAD").strip();
  }

  private String git(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("git", "-C", repo.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(String.join(" ", args) + ": " + out).isZero();
    return out;
  }
}
