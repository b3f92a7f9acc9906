package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Runs the README's examples through the real command line, in the order written, on the generated
 * images (in place of Fashion-MNIST's folder), so the README cannot drift from what the code does.
 */
class ReadmeIT extends SparkTestBase {
  private static final String MARKER = "Examples (each is run by the integration tests):";

  @Test
  void readmeExamplesRun() throws Exception {
    List<String> commands = examples(Files.readString(Path.of("..", "README.md")));
    assertThat(commands).hasSizeGreaterThanOrEqualTo(4);
    Path csv = Files.createTempFile("my", ".csv");
    Files.writeString(csv, "a,b,y\n0.1,0.2,0\n0.3,0.4,2\n0.5,0.6,1\n");
    Path lake = lakeDir.resolve("readme");
    PrintStream oldOut = System.out;
    for (String command : commands) {
      List<String> args = new ArrayList<>(List.of("--lake", lake.toString()));
      slice()
          .forEach(
              (k, v) -> {
                if (!k.equals("lake") && !k.equals("data")) {
                  args.addAll(List.of("--set", k + "=" + v));
                }
              });
      for (String token : tokens(command.substring("bin/edl-dist".length()))) {
        args.add(
            token
                .replace("spark-jobs/", "")
                .replace("my.csv", csv.toString())
                .replace("/usr/share/datasets/fashion-mnist", data.toString()));
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      int code;
      try {
        code = Main.run(args.toArray(String[]::new));
      } finally {
        System.setOut(oldOut);
      }
      assertThat(code).as(command).isZero();
      if (command.contains(" sql ")) {
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("teacher@");
        // the lake has soft labels now: the later CSV ingest replaces them
        sqlExamplesRun(lake);
      }
    }
  }

  /**
   * Every SQL example of the README (the sql blocks and {@code spark-sql -e}), on the lake the
   * examples wrote, in this session (which has the functions as the extension gives them).
   */
  private static void sqlExamplesRun(Path lake) throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    List<String> queries = new ArrayList<>();
    for (int at = readme.indexOf("```sql\n"); at >= 0; at = readme.indexOf("```sql\n", at + 1)) {
      queries.add(readme.substring(at + 7, readme.indexOf("```", at + 7)));
    }
    for (String line : readme.lines().toList()) {
      if (line.strip().startsWith("-e \"")) {
        queries.add(line.substring(line.indexOf('"') + 1, line.lastIndexOf('"')));
      }
    }
    assertThat(queries).hasSizeGreaterThanOrEqualTo(2);
    for (String query : queries) {
      String sql =
          query.replace("delta.`/lake/", "delta.`" + lake + "/").replaceAll("(?m)--.*$", "");
      List<Row> rows = spark.sql(sql).collectAsList();
      assertThat(rows).as(query).isNotEmpty();
      if (sql.contains("kl_at_t2")) {
        Row self = rows.get(0);
        assertThat(self.getDouble(self.fieldIndex("kl_at_t2")))
            .as("a teacher against itself")
            .isZero();
      }
    }
  }

  static List<String> examples(String readme) {
    int start = readme.indexOf("```bash", readme.indexOf(MARKER));
    int end = readme.indexOf("```", start + 7);
    return readme
        .substring(start + 7, end)
        .lines()
        .map(String::strip)
        .filter(l -> l.startsWith("bin/edl-dist "))
        .toList();
  }

  /** Splits a shell line on spaces, keeping double-quoted strings whole. */
  static List<String> tokens(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (char c : line.toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
        any = true;
      } else if (c == ' ' && !quoted) {
        if (any) {
          out.add(current.toString());
        }
        current.setLength(0);
        any = false;
      } else {
        current.append(c);
        any = true;
      }
    }
    if (any) {
      out.add(current.toString());
    }
    return out;
  }
}
