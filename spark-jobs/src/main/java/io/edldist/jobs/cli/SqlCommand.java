package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.udfs.EdlException;
import java.util.concurrent.Callable;
import org.apache.spark.sql.AnalysisException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

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
  @ParentCommand Main main;

  @Parameters(index = "0", description = "The query.")
  String query;

  @Option(names = "--limit", defaultValue = "50", description = "Rows to print (default 50).")
  int limit;

  @Override
  public Integer call() throws Exception {
    EdlConfig config = main.config();
    Lake lake = Main.lake(config, "sql");
    for (String table : Lake.TABLES) {
      if (lake.hasTable(table)) {
        lake.read(table).createOrReplaceTempView(table);
      }
    }
    try {
      lake.spark().sql(query).show(limit, 60);
    } catch (Exception e) {
      if (e instanceof AnalysisException) {
        String first = e.getMessage().lines().filter(l -> !l.isBlank()).findFirst().orElse("");
        throw EdlException.invalid("query", first.strip(), "Fix the SQL and run it again");
      }
      throw e;
    }
    return 0;
  }
}
