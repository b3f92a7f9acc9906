package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
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
          + " by name, with kd_argmax, kd_softmax, kd_topk, kd_entropy and kd_kl available; prints a"
          + " table, or writes CSV or JSON lines to the terminal or a file.",
      "Example: edl-dist sql \"SELECT teacher_id, avg(CAST(kd_argmax(logits) = label AS INT))"
          + " FROM soft_labels WHERE split = 'test' GROUP BY teacher_id\"",
      "Export: edl-dist sql --format csv --output s3a://bucket/exports/labels.csv \"SELECT id, label,"
          + " kd_argmax(logits) AS teacher FROM soft_labels\""
    })
final class SqlCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", description = "The query.")
  String query;

  @Option(
      names = "--format",
      defaultValue = "table",
      description =
          "table (aligned, values cut at 60 characters), csv or json (one object a line).")
  String format;

  @Option(
      names = "--output",
      description = "Write to this file (a local path, s3a://, hdfs://) instead of the terminal.")
  String output;

  @Option(
      names = "--limit",
      description = "Rows to write (default: 50 for a table, every row for csv and json).")
  Integer limit;

  @Override
  public Integer call() throws IOException {
    SqlOutput out = SqlOutput.named(format);
    EdlConfig config = main.config();
    Lake lake = Main.lake(config, "sql");
    for (String table : Lake.TABLES) {
      if (lake.hasTable(table)) {
        lake.read(table).createOrReplaceTempView(table);
      }
    }
    Dataset<Row> result;
    try {
      result = lake.spark().sql(query);
    } catch (Exception e) { // Spark throws its checked AnalysisException undeclared
      if (e instanceof AnalysisException) {
        String first = e.getMessage().lines().filter(l -> !l.isBlank()).findFirst().orElse("");
        throw EdlException.invalid("query", first.strip(), "Fix the SQL and run it again");
      }
      throw e;
    }
    if (output == null) {
      PrintWriter terminal = spec.commandLine().getOut();
      out.write(result, limit, terminal);
      terminal.flush();
      return 0;
    }
    long[] rows = new long[1];
    lake.writeExternal(
        output,
        "--output",
        stream -> {
          Writer w = new OutputStreamWriter(stream, StandardCharsets.UTF_8);
          rows[0] = out.write(result, limit, w);
          w.flush();
        });
    spec.commandLine().getErr().printf("sql: %,d rows written to %s%n", rows[0], output);
    return 0;
  }
}
