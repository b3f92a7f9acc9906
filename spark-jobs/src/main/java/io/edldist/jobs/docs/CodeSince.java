package io.edldist.jobs.docs;

import static io.edldist.jobs.docs.Format.f;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Whether the code a results file measured has changed since its run, asked of git when a document
 * is rendered: a figure measured on older code says so beside it, so nobody reads it as a figure of
 * today's code. The code a run measures is the scoring path (infer, the predictor, the model cache,
 * the Kryo and KD code in {@code udfs}), training, and the harness that ran it (bench or chaos); a
 * change elsewhere (docs, CLI, reports) does not age a figure.
 */
record CodeSince(Path root) {
  private static final String JOBS = "spark-jobs/src/main/java/io/edldist/jobs/";
  static final List<String> SCORING =
      List.of(
          JOBS + "infer",
          JOBS + "train",
          JOBS + "lake",
          JOBS + "runtime",
          JOBS + "config",
          "udfs/src/main/java",
          "pom.xml",
          "udfs/pom.xml",
          "spark-jobs/pom.xml");

  /** What {@code ResultsFiles} appends to the commit of a run made with uncommitted changes. */
  private static final String UNCOMMITTED = "+changes";

  /**
   * One sentence for a document: empty when nothing under {@link #SCORING} or {@code harness}
   * changed between {@code commit} and HEAD, else how many files changed where and how to measure
   * again.
   *
   * @param rerun the command that measures again
   * @param harness the folders under {@code spark-jobs/.../jobs/} of the code that ran it
   */
  String note(String commit, String rerun, String... harness) {
    if (commit == null) {
      return f(" The run recorded no commit: run `%s` for figures of known code.", rerun);
    }
    if (commit.endsWith(UNCOMMITTED)) {
      return f(
          " The run measured uncommitted changes on `%s`: run `%s` for figures of known code.",
          commit.substring(0, commit.length() - UNCOMMITTED.length()), rerun);
    }
    List<String> command =
        new ArrayList<>(List.of("git", "-C", root.toString(), "diff", "--name-only", commit, "--"));
    command.addAll(SCORING);
    for (String h : harness) {
      command.add(JOBS + h);
    }
    List<String> changed;
    try {
      Process git =
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!git.waitFor(30, TimeUnit.SECONDS) || git.exitValue() != 0) {
        return f(
            " Whether the code changed since `%s` cannot be told here (no git history holds it).",
            commit);
      }
      changed = out.lines().filter(l -> !l.isBlank()).toList();
    } catch (IOException e) {
      return f(" Whether the code changed since `%s` cannot be told here (no git).", commit);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (changed.isEmpty()) {
      return "";
    }
    TreeSet<String> where = new TreeSet<>();
    for (String file : changed) {
      if (file.startsWith(JOBS)) {
        String rest = file.substring(JOBS.length());
        where.add("`" + rest.substring(0, rest.indexOf('/') + 1) + "`");
      } else {
        where.add("`" + (file.startsWith("udfs/src") ? "udfs/" : file) + "`");
      }
    }
    return f(
        " **Measured on older code:** %d file(s) it ran have changed since `%s` (%s); run `%s`"
            + " for figures of this version.",
        changed.size(), commit, String.join(", ", where), rerun);
  }

  /**
   * Whether git here holds the whole history, so that every note can be told: not in a source
   * tarball, without git, or in a shallow clone.
   */
  boolean hasHistory() {
    try {
      Process git =
          new ProcessBuilder("git", "-C", root.toString(), "rev-parse", "--is-shallow-repository")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return git.waitFor(30, TimeUnit.SECONDS)
          && git.exitValue() == 0
          && out.strip().equals("false");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
