package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.udfs.EdlException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "sql",
    mixinStandardHelpOptions = true,
    description = {
      "Run Spark SQL over the lake's tables (samples, soft_labels, rejects, metrics), registered"
          + " by name, with kd_argmax, kd_softmax and kd_topk available.",
      "Example: edl-dist sql \"SELECT teacher_id, avg(CAST(kd_argmax(logits) = label AS INT))"
          + " FROM soft_labels WHERE split = 'test' GROUP BY teacher_id\""
    })
final class SqlCommand implements Callable<Integer> {
  private static final int WIDTH = 60;

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", description = "The query.")
  String query;

  @Option(names = "--limit", defaultValue = "50", description = "Rows to print (default 50).")
  int limit;

  @Override
  public Integer call() {
    EdlConfig config = main.config();
    Lake lake = Main.lake(config, "sql");
    for (String table : Lake.TABLES) {
      if (lake.hasTable(table)) {
        lake.read(table).createOrReplaceTempView(table);
      }
    }
    Dataset<Row> result;
    List<Row> rows;
    try {
      result = lake.spark().sql(query);
      rows = result.limit(limit + 1).collectAsList();
    } catch (Exception e) { // Spark throws its checked AnalysisException undeclared
      if (e instanceof AnalysisException) {
        String first = e.getMessage().lines().filter(l -> !l.isBlank()).findFirst().orElse("");
        throw EdlException.invalid("query", first.strip(), "Fix the SQL and run it again");
      }
      throw e;
    }
    spec.commandLine().getOut().print(table(result.columns(), rows));
    return 0;
  }

  /** The rows as a text table, values cut at {@value #WIDTH} characters, as Spark shows them. */
  private String table(String[] columns, List<Row> rows) {
    List<String[]> cells = new ArrayList<>();
    cells.add(columns);
    for (int r = 0; r < Math.min(limit, rows.size()); r++) {
      String[] line = new String[columns.length];
      for (int c = 0; c < columns.length; c++) {
        Object v = rows.get(r).get(c);
        String text =
            v == null ? "NULL" : v instanceof scala.collection.Seq<?> s ? seq(s) : v.toString();
        line[c] = text.length() > WIDTH ? text.substring(0, WIDTH - 3) + "..." : text;
      }
      cells.add(line);
    }
    int[] widths = new int[columns.length];
    for (String[] line : cells) {
      for (int c = 0; c < line.length; c++) {
        widths[c] = Math.max(widths[c], line[c].length());
      }
    }
    StringBuilder rule = new StringBuilder("+");
    for (int w : widths) {
      rule.append("-".repeat(w)).append('+');
    }
    StringBuilder out = new StringBuilder(rule).append('\n');
    for (int i = 0; i < cells.size(); i++) {
      out.append('|');
      for (int c = 0; c < widths.length; c++) {
        out.append(String.format("%" + widths[c] + "s", cells.get(i)[c])).append('|');
      }
      out.append('\n');
      if (i == 0) {
        out.append(rule).append('\n');
      }
    }
    out.append(rule).append('\n');
    if (rows.size() > limit) {
      out.append("only showing top ").append(limit).append(" rows\n");
    }
    return out.toString();
  }

  private static String seq(scala.collection.Seq<?> values) {
    List<String> parts = new ArrayList<>();
    for (Object v : scala.jdk.javaapi.CollectionConverters.asJava(values)) {
      parts.add(String.valueOf(v));
    }
    return "[" + String.join(", ", parts) + "]";
  }
}
