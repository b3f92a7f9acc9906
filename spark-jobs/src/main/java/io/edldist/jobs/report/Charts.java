package io.edldist.jobs.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * Renders small, report-ready PNG charts (900x560 px) with plain Java2D, without any charting
 * library and without a display: the class switches AWT to headless mode unless {@code
 * java.awt.headless} was set explicitly.
 *
 * <p>{@link #lineChart} draws one polyline per {@link Series} (for example loss or accuracy per
 * epoch of several runs) with a legend placed in the plot corner that hides the least data. {@link
 * #scatterChart} draws one filled, labelled circle per {@link Point} (for example accuracy against
 * parameter count of teacher and students), optionally on a logarithmic x axis.
 *
 * <p>Both charts have a title, axis labels, light grid lines at about five "nice" ticks (1, 2, 2.5
 * or 5 times a power of ten, or decades on a log axis) labelled compactly ({@code 0.875}, {@code
 * 1.2k}, {@code 25k}, {@code 1.5M}, {@code 3B}), a y range padded by 5% and colours from the
 * colour-blind-friendly Okabe-Ito palette; series beyond the seventh reuse the colours with dashed
 * lines. Non-finite values are skipped (a line is interrupted there), as are points with {@code x
 * <= 0} on a log axis; a single point or a constant series gets a small range around its value, and
 * a chart without any drawable value is rendered with empty axes. Text needs a font, so the JVM
 * must find at least one (for example through fontconfig on Linux).
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
  private static final float[][] DASHES = {null, {9f, 5f}, {2f, 4f}, {9f, 4f, 2f, 4f}};

  private static final Color TEXT = new Color(0x222222);
  private static final Color TICK_TEXT = new Color(0x444444);
  private static final Color GRID = new Color(0xE8E8E8);
  private static final Color FRAME = new Color(0x999999);
  private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 18);
  private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
  private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
  private static final Font LEGEND_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  private static final int TARGET_TICKS = 5;
  private static final double PAD_FRACTION = 0.05;
  private static final double LINE_X_PAD_FRACTION = 0.02;
  private static final int TICK_LENGTH = 5;
  private static final int MAX_MARKED_POINTS = 25;
  private static final double LINE_MARKER_RADIUS = 3.5;
  private static final double SCATTER_RADIUS = 6;
  private static final int MAX_LEGEND_TEXT_WIDTH = 280;

  private Charts() {}

  /** One named series of (x, y) points; {@code x} and {@code y} have the same length. */
  public record Series(String name, double[] x, double[] y) {
    public Series {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(x, "x");
      Objects.requireNonNull(y, "y");
      if (x.length != y.length) {
        throw new IllegalArgumentException(
            "Series '" + name + "' has " + x.length + " x values but " + y.length + " y values");
      }
    }
  }

  /** One named point of a scatter chart. */
  public record Point(String name, double x, double y) {
    public Point {
      Objects.requireNonNull(name, "name");
    }
  }

  /** A named x interval shaded behind the lines, e.g. when a stage ran. */
  public record Span(String name, double from, double to) {
    public Span {
      Objects.requireNonNull(name, "name");
    }
  }

  /**
   * Draws one polyline per series, in the order of its points, with a legend, and writes the chart
   * to {@code png}, creating its parent folders.
   *
   * @throws IllegalArgumentException if {@code series} is empty
   */
  public static void lineChart(
      String title, String xLabel, String yLabel, List<Series> series, Path png)
      throws IOException {
    lineChart(title, xLabel, yLabel, series, List.of(), png);
  }

  /** A line chart with {@code spans} shaded and labelled behind the series. */
  public static void lineChart(
      String title, String xLabel, String yLabel, List<Series> series, List<Span> spans, Path png)
      throws IOException {
    Objects.requireNonNull(series, "series");
    Objects.requireNonNull(png, "png");
    if (series.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot draw line chart '" + nonNull(title) + "': no series given");
    }
    Range xs = new Range();
    Range ys = new Range();
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
          xs.add(s.x()[i]);
          ys.add(s.y()[i]);
        }
      }
    }
    for (Span span : spans) {
      xs.add(span.from());
      xs.add(span.to());
    }
    Axis xAxis = Axis.linear(xs, LINE_X_PAD_FRACTION);
    Axis yAxis = Axis.linear(ys, PAD_FRACTION);

    BufferedImage image = newImage();
    Graphics2D g = image.createGraphics();
    try {
      Frame frame = drawFrame(g, title, xLabel, yLabel, xAxis, yAxis);
      drawSpans(g, frame, spans);
      List<double[]> pixelRuns = new ArrayList<>();
      Shape oldClip = g.getClip();
      Rectangle2D plot = frame.plot();
      double m = LINE_MARKER_RADIUS + 1;
      g.clip(
          new Rectangle2D.Double(
              plot.getX() - m, plot.getY() - m, plot.getWidth() + 2 * m, plot.getHeight() + 2 * m));
      for (int k = 0; k < series.size(); k++) {
        pixelRuns.addAll(drawSeries(g, frame, series.get(k), k));
      }
      g.setClip(oldClip);
      drawLegend(g, plot, series, pixelRuns);
    } finally {
      g.dispose();
    }
    write(image, png);
  }

  /**
   * Draws one filled circle per point with its name next to it and writes the chart to {@code png},
   * creating its parent folders. With {@code logX} the x axis is logarithmic and points with {@code
   * x <= 0} are left out.
   *
   * @throws IllegalArgumentException if {@code points} is empty
   */
  public static void scatterChart(
      String title, String xLabel, String yLabel, List<Point> points, boolean logX, Path png)
      throws IOException {
    Objects.requireNonNull(points, "points");
    Objects.requireNonNull(png, "png");
    if (points.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot draw scatter chart '" + nonNull(title) + "': no points given");
    }
    List<Point> drawable = new ArrayList<>();
    List<Color> colours = new ArrayList<>();
    Range xs = new Range();
    Range ys = new Range();
    for (int i = 0; i < points.size(); i++) {
      Point p = points.get(i);
      if (Double.isFinite(p.x()) && Double.isFinite(p.y()) && (!logX || p.x() > 0)) {
        drawable.add(p);
        colours.add(PALETTE[i % PALETTE.length]);
        xs.add(logX ? Math.log10(p.x()) : p.x());
        ys.add(p.y());
      }
    }
    Axis xAxis = logX ? Axis.log(xs, PAD_FRACTION) : Axis.linear(xs, PAD_FRACTION);
    Axis yAxis = Axis.linear(ys, PAD_FRACTION);

    BufferedImage image = newImage();
    Graphics2D g = image.createGraphics();
    try {
      Frame frame = drawFrame(g, title, xLabel, yLabel, xAxis, yAxis);
      List<Rectangle2D> occupied = new ArrayList<>();
      double[][] centres = new double[drawable.size()][];
      for (int i = 0; i < drawable.size(); i++) {
        Point p = drawable.get(i);
        centres[i] = new double[] {frame.px(p.x()), frame.py(p.y())};
        double r = SCATTER_RADIUS;
        occupied.add(new Rectangle2D.Double(centres[i][0] - r, centres[i][1] - r, 2 * r, 2 * r));
      }
      g.setStroke(new BasicStroke(1.2f));
      for (int i = 0; i < drawable.size(); i++) {
        double r = SCATTER_RADIUS;
        Ellipse2D dot = new Ellipse2D.Double(centres[i][0] - r, centres[i][1] - r, 2 * r, 2 * r);
        g.setColor(colours.get(i));
        g.fill(dot);
        g.setColor(colours.get(i).darker());
        g.draw(dot);
      }
      g.setFont(LEGEND_FONT);
      FontMetrics fm = g.getFontMetrics();
      for (int i = 0; i < drawable.size(); i++) {
        String text = ellipsize(drawable.get(i).name(), fm, MAX_LEGEND_TEXT_WIDTH);
        Rectangle2D box = placeLabel(text, fm, centres[i], frame.plot(), occupied);
        occupied.add(box);
        g.setColor(TEXT);
        g.drawString(text, (float) box.getX(), (float) (box.getY() + fm.getAscent()));
      }
    } finally {
      g.dispose();
    }
    write(image, png);
  }

  /** Data extent of one axis; empty while {@code min > max}. */
  private static final class Range {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;

    void add(double v) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }

    boolean isEmpty() {
      return min > max;
    }
  }

  /**
   * An axis from {@code lo} to {@code hi}, in log10 units when {@code log}, with tick positions in
   * data units.
   */
  private record Axis(double lo, double hi, boolean log, double[] ticks, String[] labels) {

    static Axis linear(Range data, double padFraction) {
      double[] r = padded(data, padFraction);
      double[] ticks = linearTicks(r[0], r[1], TARGET_TICKS);
      return new Axis(r[0], r[1], false, ticks, linearLabels(ticks));
    }

    /** {@code data} in log10 units. */
    static Axis log(Range data, double padFraction) {
      double[] r = padded(data, padFraction);
      double[] ticks = logTicks(r[0], r[1]);
      String[] labels = new String[ticks.length];
      for (int i = 0; i < ticks.length; i++) {
        labels[i] = compact(ticks[i]);
      }
      return new Axis(r[0], r[1], true, ticks, labels);
    }

    private static double[] padded(Range data, double padFraction) {
      if (data.isEmpty()) {
        return new double[] {0, 1};
      }
      double lo = data.min;
      double hi = data.max;
      double span = hi - lo;
      if (span <= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi))) {
        double half = lo == 0 ? 1 : Math.abs(lo) * 0.1;
        return new double[] {lo - half, hi + half};
      }
      return new double[] {lo - span * padFraction, hi + span * padFraction};
    }

    /** Position of data value {@code v} as a fraction of the axis length. */
    double fraction(double v) {
      double t = log ? Math.log10(v) : v;
      return (t - lo) / (hi - lo);
    }
  }

  /** Plot area and the axes mapped onto it. */
  private record Frame(Rectangle2D plot, Axis x, Axis y) {
    double px(double v) {
      return plot.getX() + x.fraction(v) * plot.getWidth();
    }

    double py(double v) {
      return plot.getMaxY() - y.fraction(v) * plot.getHeight();
    }
  }

  private static BufferedImage newImage() {
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    g.dispose();
    return image;
  }

  private static Frame drawFrame(
      Graphics2D g, String title, String xLabel, String yLabel, Axis xAxis, Axis yAxis) {
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
    g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    title = nonNull(title);
    xLabel = nonNull(xLabel);
    yLabel = nonNull(yLabel);

    FontMetrics tickFm = g.getFontMetrics(TICK_FONT);
    FontMetrics labelFm = g.getFontMetrics(LABEL_FONT);
    Font titleFont = fitFont(g, TITLE_FONT, title, WIDTH - 40);
    FontMetrics titleFm = g.getFontMetrics(titleFont);
    int yTickWidth = 0;
    for (String label : yAxis.labels()) {
      yTickWidth = Math.max(yTickWidth, tickFm.stringWidth(label));
    }
    int lastXTickHalf =
        xAxis.labels().length == 0
            ? 0
            : tickFm.stringWidth(xAxis.labels()[xAxis.labels().length - 1]) / 2;

    int left = 16 + (yLabel.isEmpty() ? 0 : labelFm.getHeight() + 8) + yTickWidth + 10;
    int right = WIDTH - Math.max(30, lastXTickHalf + 10);
    int top = title.isEmpty() ? 24 : 16 + titleFm.getHeight() + 12;
    int bottom =
        HEIGHT - (14 + (xLabel.isEmpty() ? 0 : labelFm.getHeight() + 6) + tickFm.getHeight() + 8);
    Rectangle2D plot = new Rectangle2D.Double(left, top, right - left, bottom - top);
    Frame frame = new Frame(plot, xAxis, yAxis);

    g.setStroke(new BasicStroke(1f));
    g.setFont(TICK_FONT);
    for (int i = 0; i < xAxis.ticks().length; i++) {
      double px = frame.px(xAxis.ticks()[i]);
      g.setColor(GRID);
      g.draw(new Line2D.Double(px, plot.getY(), px, plot.getMaxY()));
      g.setColor(FRAME);
      g.draw(new Line2D.Double(px, plot.getMaxY(), px, plot.getMaxY() + TICK_LENGTH));
      String label = xAxis.labels()[i];
      g.setColor(TICK_TEXT);
      g.drawString(
          label,
          (float) (px - tickFm.stringWidth(label) / 2.0),
          (float) (plot.getMaxY() + TICK_LENGTH + 3 + tickFm.getAscent()));
    }
    for (int i = 0; i < yAxis.ticks().length; i++) {
      double py = frame.py(yAxis.ticks()[i]);
      g.setColor(GRID);
      g.draw(new Line2D.Double(plot.getX(), py, plot.getMaxX(), py));
      g.setColor(FRAME);
      g.draw(new Line2D.Double(plot.getX() - TICK_LENGTH, py, plot.getX(), py));
      String label = yAxis.labels()[i];
      g.setColor(TICK_TEXT);
      g.drawString(
          label,
          (float) (plot.getX() - TICK_LENGTH - 4 - tickFm.stringWidth(label)),
          (float) (py + tickFm.getAscent() / 2.0 - 1));
    }
    g.setColor(FRAME);
    g.draw(plot);

    g.setColor(TEXT);
    if (!title.isEmpty()) {
      g.setFont(titleFont);
      int w = titleFm.stringWidth(title);
      double cx = Math.min(Math.max(plot.getCenterX(), 20 + w / 2.0), WIDTH - 20 - w / 2.0);
      g.drawString(title, (float) (cx - w / 2.0), 16 + titleFm.getAscent());
    }
    if (!xLabel.isEmpty()) {
      g.setFont(fitFont(g, LABEL_FONT, xLabel, WIDTH - 40));
      FontMetrics fm = g.getFontMetrics();
      g.drawString(
          xLabel,
          (float) (plot.getCenterX() - fm.stringWidth(xLabel) / 2.0),
          HEIGHT - 12 - fm.getDescent());
    }
    if (!yLabel.isEmpty()) {
      g.setFont(fitFont(g, LABEL_FONT, yLabel, (int) plot.getHeight()));
      FontMetrics fm = g.getFontMetrics();
      AffineTransform saved = g.getTransform();
      g.translate(16 + fm.getAscent(), plot.getCenterY() + fm.stringWidth(yLabel) / 2.0);
      g.rotate(-Math.PI / 2);
      g.drawString(yLabel, 0, 0);
      g.setTransform(saved);
    }
    return frame;
  }

  /** Draws one series and returns its finite stretches as pixel polylines {x0, y0, x1, y1, …}. */
  private static void drawSpans(Graphics2D g, Frame frame, List<Span> spans) {
    Rectangle2D plot = frame.plot();
    g.setFont(TICK_FONT);
    FontMetrics fm = g.getFontMetrics();
    for (int i = 0; i < spans.size(); i++) {
      Span span = spans.get(i);
      double x0 = Math.max(plot.getX(), frame.px(span.from()));
      double x1 = Math.min(plot.getMaxX(), frame.px(span.to()));
      g.setColor(i % 2 == 0 ? new Color(0xEEF3FA) : new Color(0xF6F0E6));
      g.fill(new Rectangle2D.Double(x0, plot.getY(), Math.max(1, x1 - x0), plot.getHeight()));
      String text = ellipsize(span.name(), fm, (int) Math.max(fm.stringWidth("…"), x1 - x0 - 4));
      g.setColor(TICK_TEXT);
      int row = i % 2;
      g.drawString(
          text,
          (float) (x0 + 3),
          (float) (plot.getY() + fm.getAscent() + 2 + row * fm.getHeight()));
    }
  }

  private static List<double[]> drawSeries(Graphics2D g, Frame frame, Series s, int index) {
    Color colour = PALETTE[index % PALETTE.length];
    Stroke stroke = lineStroke(index);
    List<double[]> runs = new ArrayList<>();
    List<Double> run = new ArrayList<>();
    int finite = 0;
    for (int i = 0; i <= s.x().length; i++) {
      boolean ok = i < s.x().length && Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i]);
      if (ok) {
        run.add(frame.px(s.x()[i]));
        run.add(frame.py(s.y()[i]));
        finite++;
      } else if (!run.isEmpty()) {
        double[] pts = new double[run.size()];
        for (int j = 0; j < pts.length; j++) {
          pts[j] = run.get(j);
        }
        runs.add(pts);
        run.clear();
      }
    }
    g.setColor(colour);
    g.setStroke(stroke);
    for (double[] pts : runs) {
      if (pts.length >= 4) {
        Path2D.Double path = new Path2D.Double();
        path.moveTo(pts[0], pts[1]);
        for (int j = 2; j < pts.length; j += 2) {
          path.lineTo(pts[j], pts[j + 1]);
        }
        g.draw(path);
      }
    }
    double r = LINE_MARKER_RADIUS;
    for (double[] pts : runs) {
      if (finite <= MAX_MARKED_POINTS || pts.length == 2) {
        for (int j = 0; j < pts.length; j += 2) {
          g.fill(new Ellipse2D.Double(pts[j] - r, pts[j + 1] - r, 2 * r, 2 * r));
        }
      }
    }
    return runs;
  }

  private static Stroke lineStroke(int index) {
    float[] dash = DASHES[(index / PALETTE.length) % DASHES.length];
    return dash == null
        ? new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
        : new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f);
  }

  private static void drawLegend(
      Graphics2D g, Rectangle2D plot, List<Series> series, List<double[]> pixelRuns) {
    g.setFont(LEGEND_FONT);
    FontMetrics fm = g.getFontMetrics();
    int pad = 8;
    int swatch = 26;
    int lineHeight = fm.getHeight() + 3;
    int fitting = (int) ((plot.getHeight() - 20 - 2 * pad) / lineHeight);
    int shown = series.size() <= fitting ? series.size() : Math.max(0, fitting - 1);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < shown; i++) {
      texts.add(ellipsize(series.get(i).name(), fm, MAX_LEGEND_TEXT_WIDTH));
    }
    if (shown < series.size()) {
      texts.add("+" + (series.size() - shown) + " more");
    }
    int textWidth = 0;
    for (String t : texts) {
      textWidth = Math.max(textWidth, fm.stringWidth(t));
    }
    double w = pad + swatch + 6 + textWidth + pad;
    double h = pad * 2 + lineHeight * texts.size() - 3;
    double inset = 10;
    double[][] corners = {
      {plot.getMaxX() - inset - w, plot.getY() + inset},
      {plot.getX() + inset, plot.getY() + inset},
      {plot.getMaxX() - inset - w, plot.getMaxY() - inset - h},
      {plot.getX() + inset, plot.getMaxY() - inset - h},
    };
    Rectangle2D best = null;
    long bestHits = Long.MAX_VALUE;
    for (double[] c : corners) {
      Rectangle2D box = new Rectangle2D.Double(c[0], c[1], w, h);
      long hits = hits(box, pixelRuns);
      if (hits < bestHits) {
        bestHits = hits;
        best = box;
      }
    }
    g.setColor(new Color(255, 255, 255, 225));
    g.fill(best);
    g.setColor(new Color(0xBBBBBB));
    g.setStroke(new BasicStroke(1f));
    g.draw(best);
    for (int i = 0; i < texts.size(); i++) {
      double rowY = best.getY() + pad + i * lineHeight;
      double midY = rowY + fm.getAscent() / 2.0 + 3;
      if (i < shown) {
        g.setColor(PALETTE[i % PALETTE.length]);
        g.setStroke(lineStroke(i));
        double x0 = best.getX() + pad;
        g.draw(new Line2D.Double(x0, midY, x0 + swatch, midY));
        double r = LINE_MARKER_RADIUS;
        g.fill(new Ellipse2D.Double(x0 + swatch / 2.0 - r, midY - r, 2 * r, 2 * r));
      }
      g.setColor(TEXT);
      g.drawString(
          texts.get(i), (float) (best.getX() + pad + swatch + 6), (float) (rowY + fm.getAscent()));
    }
  }

  /** Counts samples, every few pixels along the polylines, that fall inside {@code box}. */
  private static long hits(Rectangle2D box, List<double[]> pixelRuns) {
    Rectangle2D grown =
        new Rectangle2D.Double(
            box.getX() - 4, box.getY() - 4, box.getWidth() + 8, box.getHeight() + 8);
    long hits = 0;
    for (double[] pts : pixelRuns) {
      if (pts.length == 2) {
        hits += grown.contains(pts[0], pts[1]) ? 1 : 0;
      }
      for (int j = 2; j < pts.length; j += 2) {
        double x0 = pts[j - 2];
        double y0 = pts[j - 1];
        double dx = pts[j] - x0;
        double dy = pts[j + 1] - y0;
        int steps = (int) Math.min(2000, Math.ceil(Math.hypot(dx, dy) / 3) + 1);
        for (int k = 0; k <= steps; k++) {
          double t = (double) k / steps;
          if (grown.contains(x0 + t * dx, y0 + t * dy)) {
            hits++;
          }
        }
      }
    }
    return hits;
  }

  /**
   * Picks the first position around {@code centre} (right, left, above, below, diagonals) where the
   * label stays inside the plot and overlaps nothing; else the position overlapping least.
   */
  private static Rectangle2D placeLabel(
      String text, FontMetrics fm, double[] centre, Rectangle2D plot, List<Rectangle2D> occupied) {
    double w = fm.stringWidth(text);
    double h = fm.getAscent() + fm.getDescent();
    double gap = SCATTER_RADIUS + 4;
    double cx = centre[0];
    double cy = centre[1];
    double[][] candidates = {
      {cx + gap, cy - h / 2},
      {cx - gap - w, cy - h / 2},
      {cx - w / 2, cy - gap - h},
      {cx - w / 2, cy + gap},
      {cx + gap * 0.7, cy - gap * 0.7 - h},
      {cx - gap * 0.7 - w, cy - gap * 0.7 - h},
      {cx + gap * 0.7, cy + gap * 0.7},
      {cx - gap * 0.7 - w, cy + gap * 0.7},
    };
    Rectangle2D best = null;
    double bestCost = Double.POSITIVE_INFINITY;
    for (double[] c : candidates) {
      double x = Math.min(Math.max(c[0], plot.getX() + 2), plot.getMaxX() - 2 - w);
      double y = Math.min(Math.max(c[1], plot.getY() + 2), plot.getMaxY() - 2 - h);
      Rectangle2D box = new Rectangle2D.Double(x, y, w, h);
      double cost = Math.abs(x - c[0]) + Math.abs(y - c[1]);
      for (Rectangle2D other : occupied) {
        Rectangle2D overlap = box.createIntersection(other);
        if (overlap.getWidth() > 0 && overlap.getHeight() > 0) {
          cost += 10 + overlap.getWidth() * overlap.getHeight();
        }
      }
      if (cost == 0) {
        return box;
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = box;
      }
    }
    return best;
  }

  private static Font fitFont(Graphics2D g, Font font, String text, int maxWidth) {
    Font f = font;
    while (f.getSize2D() > 9 && g.getFontMetrics(f).stringWidth(text) > maxWidth) {
      f = f.deriveFont(f.getSize2D() - 1);
    }
    return f;
  }

  /** Shortens {@code text} to {@code maxWidth} by eliding its middle, where names differ least. */
  private static String ellipsize(String text, FontMetrics fm, int maxWidth) {
    if (fm.stringWidth(text) <= maxWidth) {
      return text;
    }
    int keep = text.length() - 1;
    while (keep > 0) {
      int head = (keep + 1) / 2;
      String s = text.substring(0, head) + "…" + text.substring(text.length() - (keep - head));
      if (fm.stringWidth(s) <= maxWidth) {
        return s;
      }
      keep--;
    }
    return "…";
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }

  private static void write(BufferedImage image, Path png) throws IOException {
    Path parent = png.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (OutputStream out = Files.newOutputStream(png)) {
      if (!ImageIO.write(image, "png", out)) {
        throw new IOException("No PNG writer available to write " + png);
      }
    }
  }

  /**
   * Ticks at multiples of 1, 2, 2.5 or 5 times a power of ten, with the spacing whose tick count is
   * closest to {@code target} (the denser one on a tie).
   */
  static double[] linearTicks(double lo, double hi, int target) {
    double raw = (hi - lo) / Math.max(1, target - 1);
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double best = magnitude;
    long bestScore = Long.MAX_VALUE;
    for (double m : new double[] {0.5, 1, 2, 2.5, 5, 10}) {
      double step = m * magnitude;
      long count = (long) Math.floor(hi / step + 1e-9) - (long) Math.ceil(lo / step - 1e-9) + 1;
      long score = Math.abs(count - target);
      if (score < bestScore) {
        bestScore = score;
        best = step;
      }
    }
    long first = (long) Math.ceil(lo / best - 1e-9);
    long last = (long) Math.floor(hi / best + 1e-9);
    double[] ticks = new double[(int) Math.max(0, last - first + 1)];
    for (int i = 0; i < ticks.length; i++) {
      double v = (first + i) * best;
      ticks[i] = Math.abs(v) < best * 1e-9 ? 0 : v;
    }
    return ticks;
  }

  /**
   * Ticks for a log axis spanning {@code lo..hi} (log10 units), in data units: decades, thinned
   * when there are many, with 2 and 5 times each decade added when there are few, or linear ticks
   * when the axis spans less than about a decade.
   */
  static double[] logTicks(double lo, double hi) {
    List<Double> ticks = new ArrayList<>();
    int firstDecade = (int) Math.ceil(lo - 1e-9);
    int lastDecade = (int) Math.floor(hi + 1e-9);
    int every = Math.max(1, (int) Math.ceil((lastDecade - firstDecade + 1) / 8.0));
    for (int e = firstDecade; e <= lastDecade; e++) {
      if ((e - firstDecade) % every == 0) {
        ticks.add(Math.pow(10, e));
      }
    }
    if (ticks.size() < 3) {
      ticks.clear();
      for (int e = (int) Math.floor(lo); e <= lastDecade; e++) {
        for (int m : new int[] {1, 2, 5}) {
          double v = m * Math.pow(10, e);
          double t = Math.log10(v);
          if (t >= lo - 1e-9 && t <= hi + 1e-9) {
            ticks.add(v);
          }
        }
      }
    }
    if (ticks.size() < 3) {
      ticks.clear();
      for (double v : linearTicks(Math.pow(10, lo), Math.pow(10, hi), TARGET_TICKS)) {
        if (v > 0) {
          ticks.add(v);
        }
      }
    }
    return ticks.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /**
   * Labels for evenly spaced ticks, all with the same unit suffix (k, M, B, T, chosen by the
   * largest tick) and the same number of decimals (as many as the spacing needs).
   */
  static String[] linearLabels(double[] ticks) {
    double maxAbs = 0;
    for (double t : ticks) {
      maxAbs = Math.max(maxAbs, Math.abs(t));
    }
    double step = ticks.length >= 2 ? ticks[1] - ticks[0] : maxAbs == 0 ? 1 : maxAbs;
    String[] labels = new String[ticks.length];
    for (int i = 0; i < ticks.length; i++) {
      labels[i] = format(ticks[i], step, maxAbs);
    }
    return labels;
  }

  /** Compact form of a single value: {@code 0.875}, {@code 1.2k}, {@code 25k}, {@code 1.5M}. */
  static String compact(double v) {
    return format(v, v == 0 ? 1 : Math.abs(v), Math.abs(v));
  }

  private static String format(double v, double step, double maxAbs) {
    if (v == 0) {
      return "0";
    }
    if (maxAbs < 1e-4) {
      return String.format(Locale.ROOT, "%.2g", v).replace("e-0", "e-");
    }
    String[] suffixes = {"", "k", "M", "B", "T"};
    int unit = 0;
    while (unit < suffixes.length - 1 && maxAbs >= Math.pow(1000, unit + 1)) {
      unit++;
    }
    double scale = Math.pow(1000, unit);
    double scaledStep = Math.abs(step) / scale;
    int decimals = 0;
    while (decimals < 6) {
      double shifted = scaledStep * Math.pow(10, decimals);
      if (Math.abs(shifted - Math.rint(shifted)) < 1e-6 * Math.max(1, shifted)) {
        break;
      }
      decimals++;
    }
    String s = String.format(Locale.ROOT, "%." + decimals + "f", v / scale);
    if (s.matches("-0(\\.0*)?")) {
      s = s.substring(1);
    }
    return s + suffixes[unit];
  }
}
