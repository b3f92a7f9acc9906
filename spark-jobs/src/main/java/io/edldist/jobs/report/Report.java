package io.edldist.jobs.report;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.ModelScore;
import io.edldist.jobs.runtime.ExecutorTimeline;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The run report under {@code <lake>/reports/<run>/}: {@code summary.json} (stable keys that
 * automated checks read: {@code teacher.test_accuracy}, {@code student_kd.agreement}, {@code
 * timings_s.<stage>} ...), {@code report.md} for people, and charts: accuracy against model size,
 * the training loss curves read back from the {@code metrics} table, and on a cluster the executors
 * held over time.
 */
public final class Report {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The executor timeline chart's file name in a report folder. */
  public static final String TIMELINE_PNG = "executor_timeline.png";

  private final Lake lake;
  private final String runId;

  public Report(Lake lake, String runId) {
    this.lake = lake;
    this.runId = runId;
  }

  public String folder() {
    return "reports/" + runId;
  }

  /** Writes the report; returns its folder. */
  public String write(List<ModelScore> scores, long softLabelRows, Map<String, Double> timings) {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("run_id", runId);
    for (ModelScore s : scores) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", s.id());
      m.put("arch", s.arch());
      m.put("test_accuracy", s.accuracy());
      m.put("agreement", s.agreement());
      m.put("params", s.params());
      m.put("size_bytes", s.sizeBytes());
      m.put("latency_ms_batch1", s.latencyBatch1Ms());
      m.put("latency_ms_batch256", s.latencyBatch256Ms());
      summary.put(s.role(), m);
    }
    summary.put("soft_labels", Map.of("rows", softLabelRows));
    summary.put("timings_s", new TreeMap<>(timings));
    try {
      lake.writeString(folder() + "/summary.json", JSON.writeValueAsString(summary) + "\n");
      lake.writeString(folder() + "/report.md", markdown(scores, softLabelRows, timings));
      Path tmp = Files.createTempDirectory("edl-dist-charts");
      List<Charts.Point> points = new ArrayList<>();
      for (ModelScore s : scores) {
        points.add(new Charts.Point(s.role(), s.params(), s.accuracy()));
      }
      Charts.scatterChart(
          "Test accuracy against model size",
          "parameters (log)",
          "test accuracy",
          points,
          true,
          tmp.resolve("accuracy_vs_size.png"));
      List<Charts.Series> curves = lossCurves();
      if (!curves.isEmpty()) {
        Charts.lineChart("Training loss", "step", "loss", curves, tmp.resolve("training_loss.png"));
      }
      if (lake.hasTable(Lake.METRICS)) {
        executorTimeline(runMetrics(), tmp.resolve(TIMELINE_PNG));
      }
      try (var files = Files.list(tmp)) {
        for (Path f : files.toList()) {
          lake.writeBytes(folder() + "/" + f.getFileName(), Files.readAllBytes(f));
          Files.delete(f);
        }
      }
      Files.delete(tmp);
    } catch (IOException e) {
      throw EdlException.cannot(
          "write the report's charts", e, "Check free space in the temporary folder");
    }
    return lake.path(folder());
  }

  /** The loss curve of the latest run of each training stage. */
  private List<Charts.Series> lossCurves() {
    if (!lake.hasTable(Lake.METRICS)) {
      return List.of();
    }
    Dataset<Row> loss = lake.read(Lake.METRICS).where(col("name").equalTo("loss"));
    List<Charts.Series> out = new ArrayList<>();
    for (Row latest :
        loss.groupBy("stage")
            .agg(org.apache.spark.sql.functions.max("ts").as("ts"))
            .collectAsList()) {
      String stage = latest.getString(0);
      String run =
          loss.where(col("stage").equalTo(stage).and(col("ts").equalTo(latest.get(1))))
              .select("run_id")
              .first()
              .getString(0);
      List<Row> points =
          loss.where(col("stage").equalTo(stage).and(col("run_id").equalTo(run)))
              .select("step", "value")
              .orderBy("step")
              .collectAsList();
      double[] x = new double[points.size()];
      double[] y = new double[points.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = points.get(i).getLong(0);
        y[i] = points.get(i).getDouble(1);
      }
      out.add(new Charts.Series(stage, x, y));
    }
    out.sort(java.util.Comparator.comparing(Charts.Series::name));
    return out;
  }

  /**
   * The latest recorded {@code seconds} of every stage, from the metrics table, keyed like {@code
   * timings_s} in summary.json ({@code train_kd}, not {@code train-kd}).
   */
  public static Map<String, Double> latestTimings(Lake lake) {
    Map<String, Double> out = new TreeMap<>();
    if (!lake.hasTable(Lake.METRICS)) {
      return out;
    }
    lake.read(Lake.METRICS)
        .where(col("name").equalTo("seconds"))
        .orderBy("ts")
        .collectAsList()
        .forEach(r -> out.put(r.getString(1).replace('-', '_'), r.getDouble(3)));
    return out;
  }

  private String markdown(
      List<ModelScore> scores, long softLabelRows, Map<String, Double> timings) {
    StringBuilder md = new StringBuilder();
    md.append("# edl-dist report, run ").append(runId).append("\n\n");
    md.append(table(scores)).append('\n');
    md.append("Soft-label rows: ").append(softLabelRows).append("\n\n");
    if (!timings.isEmpty()) {
      md.append("| stage | seconds |\n|---|---:|\n");
      new TreeMap<>(timings)
          .forEach((k, v) -> md.append(String.format(Locale.ROOT, "| %s | %.1f |%n", k, v)));
      md.append('\n');
    }
    md.append("![accuracy against size](accuracy_vs_size.png)\n\n");
    md.append("![training loss](training_loss.png)\n");
    if (lake.hasTable(Lake.METRICS) && hasExecutorTimeline(runMetrics())) {
      md.append("\n![executors over time](").append(TIMELINE_PNG).append(")\n");
    }
    return md.toString();
  }

  /**
   * Draws the executors each application held (from the {@code executors} points of these {@code
   * metrics} rows) as step lines, one per application, with the span of every stage that recorded
   * its {@code seconds} shaded behind it. Does nothing when no application held an executor (local
   * mode).
   *
   * @return whether a chart was written
   */
  public static boolean executorTimeline(Dataset<Row> metrics, Path png) throws IOException {
    if (!hasExecutorTimeline(metrics)) {
      return false;
    }
    List<Row> points =
        metrics
            .where(col("stage").equalTo(ExecutorTimeline.STAGE))
            .select("name", "step", "value")
            .orderBy("step")
            .collectAsList();
    long t0 = points.get(0).getLong(1);
    List<Row> stages =
        metrics
            .where(col("name").equalTo("seconds"))
            .select(col("stage"), col("value"), col("ts").cast("double"))
            .orderBy("ts")
            .collectAsList();
    List<Charts.Span> spans = new ArrayList<>();
    for (Row r : stages) {
      double end = r.getDouble(2) - t0 / 1000.0;
      spans.add(new Charts.Span(r.getString(0), end - r.getDouble(1), end));
    }
    Map<String, List<Row>> byApp = new TreeMap<>();
    for (Row p : points) {
      byApp.computeIfAbsent(p.getString(0), k -> new ArrayList<>()).add(p);
    }
    List<Charts.Series> series = new ArrayList<>();
    for (var app : byApp.entrySet()) {
      series.add(steps(app.getKey(), app.getValue(), t0));
    }
    Charts.lineChart(
        "Executors held by each application",
        "seconds since start",
        "executors",
        series,
        spans,
        png);
    return true;
  }

  /** An application's executor counts as a step line, from its first to its last point. */
  private static Charts.Series steps(String app, List<Row> points, long t0) {
    double[] x = new double[2 * points.size()];
    double[] y = new double[x.length];
    double count = 0;
    for (int i = 0; i < points.size(); i++) {
      double t = (points.get(i).getLong(1) - t0) / 1000.0;
      x[2 * i] = t;
      y[2 * i] = count;
      count = points.get(i).getDouble(2);
      x[2 * i + 1] = t;
      y[2 * i + 1] = count;
    }
    return new Charts.Series(app, x, y);
  }

  /**
   * Whether any application held an executor: in local mode the recorder's only point is its first,
   * 0 executors, and a chart of it would say nothing.
   */
  private static boolean hasExecutorTimeline(Dataset<Row> metrics) {
    return !metrics
        .where(col("stage").equalTo(ExecutorTimeline.STAGE).and(col("value").gt(0)))
        .isEmpty();
  }

  private Dataset<Row> runMetrics() {
    return lake.read(Lake.METRICS).where(col("run_id").equalTo(runId));
  }

  /** The summary as a Markdown table; the CLI prints the same table. */
  public static String table(List<ModelScore> scores) {
    StringBuilder t = new StringBuilder();
    t.append(
        "| model | arch | test acc | agreement | params | size | ms/sample b1 | ms/sample b256 |\n");
    t.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (ModelScore s : scores) {
      t.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.4f | %.4f | %,d | %,.0f KB | %.3f | %.4f |%n",
              s.role(),
              s.arch(),
              s.accuracy(),
              s.agreement(),
              s.params(),
              s.sizeBytes() / 1024.0,
              s.latencyBatch1Ms(),
              s.latencyBatch256Ms()));
    }
    return t.toString();
  }
}
