package io.edldist.jobs.cli;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * How {@code edl-dist sql} writes a result. {@code table} collects at most {@code limit} rows to
 * the driver and aligns them as Spark's {@code show()} does; {@code csv} (RFC 4180, a header line,
 * arrays as {@code [a, b]}) and {@code json} (one object per line, Spark's own JSON of each row)
 * stream every row through {@code toLocalIterator}, one partition at a time, so an export of a
 * large table never holds it in the driver.
 */
enum SqlOutput {
  TABLE,
  CSV,
  JSON;

  /** Values longer than this are cut in a table. */
  private static final int WIDTH = 60;

  static SqlOutput named(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw io.edldist.udfs.EdlException.invalid(
          "--format " + name, "unknown format", "Use table, csv or json");
    }
  }

  /**
   * Writes {@code result}; {@code limit} caps the rows (null: 50 for a table, all otherwise).
   *
   * @return the number of rows written
   */
  long write(Dataset<Row> result, Integer limit, Writer out) throws IOException {
    return switch (this) {
      case TABLE -> table(result, limit == null ? 50 : limit, out);
      case CSV -> csv(limit == null ? result : result.limit(limit), out);
      case JSON -> json(limit == null ? result : result.limit(limit), out);
    };
  }

  private static long csv(Dataset<Row> result, Writer out) throws IOException {
    List<String> header = new ArrayList<>();
    for (String c : result.columns()) {
      header.add(csvField(c));
    }
    out.write(String.join(",", header) + "\n");
    long n = 0;
    for (Iterator<Row> it = result.toLocalIterator(); it.hasNext(); n++) {
      Row row = it.next();
      List<String> fields = new ArrayList<>(row.size());
      for (int c = 0; c < row.size(); c++) {
        fields.add(row.isNullAt(c) ? "" : csvField(text(row.get(c))));
      }
      out.write(String.join(",", fields) + "\n");
    }
    return n;
  }

  private static long json(Dataset<Row> result, Writer out) throws IOException {
    long n = 0;
    for (Iterator<String> it = result.toJSON().toLocalIterator(); it.hasNext(); n++) {
      out.write(it.next() + "\n");
    }
    return n;
  }

  private static String csvField(String text) {
    boolean quote =
        text.indexOf(',') >= 0
            || text.indexOf('"') >= 0
            || text.indexOf('\n') >= 0
            || text.indexOf('\r') >= 0;
    return quote ? '"' + text.replace("\"", "\"\"") + '"' : text;
  }

  /** The rows as a text table, values cut at {@value #WIDTH} characters, as Spark shows them. */
  private static long table(Dataset<Row> result, int limit, Writer out) throws IOException {
    String[] columns = result.columns();
    List<Row> rows = result.limit(limit + 1).collectAsList();
    List<String[]> cells = new ArrayList<>();
    cells.add(columns);
    for (int r = 0; r < Math.min(limit, rows.size()); r++) {
      String[] line = new String[columns.length];
      for (int c = 0; c < columns.length; c++) {
        Object v = rows.get(r).get(c);
        String text = v == null ? "NULL" : text(v);
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
    StringBuilder text = new StringBuilder(rule).append('\n');
    for (int i = 0; i < cells.size(); i++) {
      text.append('|');
      for (int c = 0; c < widths.length; c++) {
        text.append(String.format("%" + widths[c] + "s", cells.get(i)[c])).append('|');
      }
      text.append('\n');
      if (i == 0) {
        text.append(rule).append('\n');
      }
    }
    text.append(rule).append('\n');
    if (rows.size() > limit) {
      text.append("only showing top ").append(limit).append(" rows\n");
    }
    out.write(text.toString());
    return Math.min(limit, rows.size());
  }

  private static String text(Object value) {
    if (value instanceof scala.collection.Seq<?> s) {
      List<String> parts = new ArrayList<>();
      for (Object v : scala.jdk.javaapi.CollectionConverters.asJava(s)) {
        parts.add(v == null ? "null" : text(v));
      }
      return "[" + String.join(", ", parts) + "]";
    }
    return value.toString();
  }
}
