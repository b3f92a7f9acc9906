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
      List.of(JOBS + "infer", JOBS + "train", JOBS + "lake", "udfs/src/main/java");

  /**
   * One sentence for a document: empty when nothing under {@link #SCORING} or {@code harness}
   * changed between {@code commit} and HEAD, else how many files changed where and how to measure
   * again.
   *
   * @param harness the folder under {@code spark-jobs/.../jobs/} of the code that ran it
   * @param rerun the command that measures again
   */
  String note(String commit, String harness, String rerun) {
    if (commit == null) {
      return f(" The run recorded no commit: run `%s` for figures of known code.", rerun);
    }
    List<String> command =
        new ArrayList<>(
            List.of("git", "-C", root.toString(), "diff", "--name-only", commit, "HEAD", "--"));
    command.addAll(SCORING);
    command.add(JOBS + harness);
    List<String> changed;
    try {
      Process git = new ProcessBuilder(command).redirectErrorStream(true).start();
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
      String rest = file.startsWith(JOBS) ? file.substring(JOBS.length()) : file;
      where.add(
          file.startsWith(JOBS) ? "`" + rest.substring(0, rest.indexOf('/') + 1) + "`" : "`udfs/`");
    }
    return f(
        " **Measured on older code:** %d file(s) it ran have changed since `%s` (%s); run `%s`"
            + " for figures of this version.",
        changed.size(), commit, String.join(", ", where), rerun);
  }
}
