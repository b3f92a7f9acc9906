package io.edldist.jobs.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.NumberFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.labels.StandardXYItemLabelGenerator;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's PNG charts (900x560 px), drawn with JFreeChart: line charts of several series (loss
 * per step, executors over time with the stages shaded behind) and a scatter chart of labelled
 * points (accuracy against model size, optionally on a log x axis). Colours come from the
 * colour-blind-friendly Okabe-Ito palette. Non-finite values are left out, a NaN breaking a line.
 * Charts render without a display: AWT is switched to headless mode unless {@code
 * java.awt.headless} was set explicitly.
 */
public final class Charts {
  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  static final int WIDTH = 900;
  static final int HEIGHT = 560;

  private static final Color[] PALETTE = {
    new Color(0x0072B2),
    new Color(0xE69F00),
    new Color(0x009E73),
    new Color(0xD55E00),
    new Color(0xCC79A7),
    new Color(0x56B4E9),
    new Color(0xB8A000),
  };
  private static final Color[] SPAN_FILLS = {new Color(0xE3ECF7), new Color(0xF4E9D8)};
  private static final int MAX_MARKED_POINTS = 25;

  private Charts() {}

  /** One named series of (x, y) points; {@code x} and {@code y} have the same length. */
  public record Series(String name, double[] x, double[] y) {
    public Series {
      Objects.requireNonNull(x, "x");
      Objects.requireNonNull(y, "y");
      if (x.length != y.length) {
        throw new IllegalArgumentException(
            "Series '" + name + "' has " + x.length + " x values but " + y.length + " y values");
      }
    }
  }

  /** One named point of a scatter chart. */
  public record Point(String name, double x, double y) {}

  /** A named x interval shaded behind the lines, e.g. when a stage ran. */
  public record Span(String name, double from, double to) {}

  /** Writes a line chart of {@code series}, one line each, to {@code png}. */
  public static void lineChart(
      String title, String xLabel, String yLabel, List<Series> series, Path png)
      throws IOException {
    lineChart(title, xLabel, yLabel, series, List.of(), png);
  }

  /** Writes a line chart with {@code spans} shaded and labelled behind the lines to {@code png}. */
  public static void lineChart(
      String title, String xLabel, String yLabel, List<Series> series, List<Span> spans, Path png)
      throws IOException {
    save(line(title, xLabel, yLabel, series, spans), png);
  }

  /**
   * Writes a chart of one labelled point per {@link Point} to {@code png}. With {@code logX} the x
   * axis is logarithmic and points with {@code x <= 0} are left out.
   */
  public static void scatterChart(
      String title, String xLabel, String yLabel, List<Point> points, boolean logX, Path png)
      throws IOException {
    save(scatter(title, xLabel, yLabel, points, logX), png);
  }

  /** The chart {@link #lineChart} writes. */
  static JFreeChart line(
      String title, String xLabel, String yLabel, List<Series> series, List<Span> spans) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
    for (Series s : series) {
      XYSeries xy = new XYSeries(uniqueKey(data, s.name()), false, true);
      for (int i = 0; i < s.x().length; i++) {
        boolean finite = Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i]);
        xy.add(finite ? s.x()[i] : Double.NaN, finite ? s.y()[i] : Double.NaN);
      }
      renderer.setSeriesShapesVisible(data.getSeriesCount(), s.x().length <= MAX_MARKED_POINTS);
      data.addSeries(xy);
    }
    XYPlot plot = plot(data, axis(xLabel), yLabel, renderer);
    Range extent = plot.getDomainAxis().getRange();
    for (int i = 0; i < spans.size(); i++) {
      Span s = spans.get(i);
      if (Double.isFinite(s.from()) && Double.isFinite(s.to())) {
        IntervalMarker marker =
            new IntervalMarker(
                Math.min(s.from(), s.to()), Math.max(s.from(), s.to()), SPAN_FILLS[i % 2]);
        marker.setLabel(s.name());
        marker.setLabelBackgroundColor(SPAN_FILLS[i % 2]);
        marker.setLabelAnchor(RectangleAnchor.TOP_LEFT);
        marker.setLabelTextAnchor(TextAnchor.TOP_LEFT);
        marker.setLabelOffset(new RectangleInsets(4 + 16 * (i % 2), 4, 4, 4));
        plot.addDomainMarker(marker, Layer.BACKGROUND);
        extent = Range.expandToInclude(Range.expandToInclude(extent, s.from()), s.to());
      }
    }
    plot.getDomainAxis().setRange(extent);
    return chart(title, plot, true);
  }

  /** The chart {@link #scatterChart} writes. */
  static JFreeChart scatter(
      String title, String xLabel, String yLabel, List<Point> points, boolean logX) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (Point p : points) {
      if (Double.isFinite(p.x()) && Double.isFinite(p.y()) && (!logX || p.x() > 0)) {
        XYSeries xy = new XYSeries(uniqueKey(data, p.name()));
        xy.add(p.x(), p.y());
        data.addSeries(xy);
      }
    }
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
    renderer.setAutoPopulateSeriesShape(false);
    renderer.setDefaultShape(new Ellipse2D.Double(-6, -6, 12, 12));
    renderer.setDefaultItemLabelGenerator(new StandardXYItemLabelGenerator("{0}"));
    renderer.setDefaultItemLabelsVisible(true);
    ValueAxis x = logX ? logAxis(xLabel) : axis(xLabel);
    return chart(title, plot(data, x, yLabel, renderer), false);
  }

  /** Writes {@code chart} as a 900x560 PNG, creating the parent folders. */
  static void save(JFreeChart chart, Path png) throws IOException {
    Path parent = png.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
  }

  private static NumberAxis axis(String label) {
    NumberAxis axis = new NumberAxis(label);
    axis.setAutoRangeIncludesZero(false);
    return axis;
  }

  /** A log axis labelled compactly: 50K, 1.2M. */
  private static LogAxis logAxis(String label) {
    LogAxis axis = new LogAxis(label);
    NumberFormat compact =
        NumberFormat.getCompactNumberInstance(Locale.US, NumberFormat.Style.SHORT);
    compact.setMaximumFractionDigits(1);
    axis.setNumberFormatOverride(compact);
    return axis;
  }

  private static XYPlot plot(
      XYSeriesCollection data, ValueAxis x, String yLabel, XYLineAndShapeRenderer renderer) {
    for (int i = 0; i < data.getSeriesCount(); i++) {
      renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    XYPlot plot = new XYPlot(null, x, axis(yLabel), renderer);
    widenIfOneValue(x, data.getDomainBounds(false));
    widenIfOneValue(plot.getRangeAxis(), data.getRangeBounds(false));
    plot.setDataset(data);
    return plot;
  }

  /**
   * Gives an axis whose data is one value a range around it, before JFreeChart's auto range makes
   * it nearly zero wide (which a log axis rejects).
   */
  private static void widenIfOneValue(ValueAxis axis, Range data) {
    if (data != null && data.getLength() == 0) {
      double half = data.getCentralValue() == 0 ? 1 : Math.abs(data.getCentralValue()) / 10;
      axis.setRange(data.getLowerBound() - half, data.getUpperBound() + half);
    }
  }

  private static JFreeChart chart(String title, XYPlot plot, boolean legend) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, legend);
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  /** {@code name}, or {@code name (2)} and so on when the dataset has it already. */
  private static String uniqueKey(XYSeriesCollection data, String name) {
    String base = name == null ? "" : name;
    String key = base;
    for (int n = 2; data.getSeriesIndex(key) >= 0; n++) {
      key = base + " (" + n + ")";
    }
    return key;
  }
}
