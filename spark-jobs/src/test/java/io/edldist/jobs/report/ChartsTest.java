package io.edldist.jobs.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edldist.jobs.report.Charts.Point;
import io.edldist.jobs.report.Charts.Series;
import io.edldist.jobs.report.Charts.Span;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.Marker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.Layer;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {
  private static final double NaN = Double.NaN;
  private static final double[] EPOCHS = {1, 2, 3, 4, 5, 6};
  private static final Series TEACHER =
      new Series("teacher", EPOCHS, new double[] {0.61, 0.74, 0.81, 0.85, 0.87, 0.88});
  private static final Series STUDENT =
      new Series("student", EPOCHS, new double[] {0.42, 0.58, NaN, 0.73, 0.77, 0.79});

  @TempDir Path dir;

  @Test
  void lineChartShowsTitleAxesAndEverySeries() {
    JFreeChart chart =
        Charts.line("Accuracy", "epoch", "accuracy", List.of(TEACHER, STUDENT), List.of());
    XYPlot plot = chart.getXYPlot();
    XYDataset data = plot.getDataset();

    assertThat(chart.getTitle().getText()).isEqualTo("Accuracy");
    assertThat(plot.getDomainAxis().getLabel()).isEqualTo("epoch");
    assertThat(plot.getRangeAxis().getLabel()).isEqualTo("accuracy");
    assertThat(chart.getLegend()).isNotNull();
    assertThat(keys(data)).containsExactly("teacher", "student");
    assertThat(data.getItemCount(0)).isEqualTo(6);
    assertThat(data.getXValue(0, 5)).isEqualTo(6);
    assertThat(data.getYValue(0, 5)).isEqualTo(0.88);
    assertCovers(plot.getDomainAxis(), 1, 6);
    assertCovers(plot.getRangeAxis(), 0.42, 0.88);
  }

  @Test
  void nonFiniteValuesBreakTheLineAndStayOffTheAxes() {
    Series spiky =
        new Series(
            "spiky",
            new double[] {1, 2, 3, Double.POSITIVE_INFINITY, 5},
            new double[] {1, Double.NEGATIVE_INFINITY, 3, 4, 5});
    XYPlot plot = Charts.line("t", "x", "y", List.of(STUDENT, spiky), List.of()).getXYPlot();
    XYDataset data = plot.getDataset();

    assertThat(data.getItemCount(0)).isEqualTo(6);
    assertThat(data.getYValue(0, 2)).isNaN();
    assertThat(data.getYValue(0, 3)).isEqualTo(0.73);
    assertThat(data.getYValue(1, 1)).isNaN();
    assertThat(data.getXValue(1, 3)).isNaN();
    assertThat(plot.getDomainAxis().getUpperBound()).isFinite().isLessThan(10);
    assertThat(plot.getRangeAxis().getLowerBound()).isFinite().isGreaterThan(0);
  }

  @Test
  void spansAreLabelledMarkersBehindTheLinesWithinTheXAxis() {
    List<Span> spans = List.of(new Span("infer", 0, 40), new Span("train-kd", 40, 95));
    XYPlot plot =
        Charts.line("Executors", "seconds", "executors", List.of(TEACHER), spans).getXYPlot();

    List<IntervalMarker> markers = new ArrayList<>();
    for (Object m : plot.getDomainMarkers(Layer.BACKGROUND)) {
      markers.add((IntervalMarker) m);
    }
    assertThat(markers).extracting(Marker::getLabel).containsExactly("infer", "train-kd");
    assertThat(markers.get(1).getStartValue()).isEqualTo(40);
    assertThat(markers.get(1).getEndValue()).isEqualTo(95);
    assertThat(plot.getDomainMarkers(Layer.FOREGROUND) == null)
        .as("no markers over the lines")
        .isTrue();
    assertCovers(plot.getDomainAxis(), 0, 95);
  }

  @Test
  void scatterOnALogAxisShowsOneLabelledPointPerPositivePoint() {
    List<Point> points =
        List.of(
            new Point("teacher", 25_600_000, 0.88),
            new Point("student KD", 1_200_000, 0.81),
            new Point("tiny", 45_000, 0.52),
            new Point("not on a log axis", 0, 0.5),
            new Point("no accuracy", 10, NaN));
    JFreeChart chart = Charts.scatter("Accuracy vs size", "parameters", "accuracy", points, true);
    XYPlot plot = chart.getXYPlot();
    XYDataset data = plot.getDataset();

    assertThat(chart.getTitle().getText()).isEqualTo("Accuracy vs size");
    assertThat(plot.getDomainAxis()).isInstanceOf(LogAxis.class);
    assertThat(plot.getDomainAxis().getLabel()).isEqualTo("parameters");
    assertThat(plot.getRangeAxis().getLabel()).isEqualTo("accuracy");
    assertThat(keys(data)).containsExactly("teacher", "student KD", "tiny");
    assertThat(data.getItemCount(1)).isEqualTo(1);
    assertThat(data.getXValue(1, 0)).isEqualTo(1_200_000);
    assertThat(data.getYValue(1, 0)).isEqualTo(0.81);
    var labels = plot.getRenderer().getDefaultItemLabelGenerator();
    assertThat(plot.getRenderer().getDefaultItemLabelsVisible()).isTrue();
    assertThat(labels.generateLabel(data, 2, 0)).isEqualTo("tiny");
    assertCovers(plot.getDomainAxis(), 45_000, 25_600_000);
    assertCovers(plot.getRangeAxis(), 0.52, 0.88);
  }

  @Test
  void scatterOnALinearAxisKeepsZeroAndNegativeX() {
    List<Point> points = List.of(new Point("a", 0, 1), new Point("b", -5, 2), new Point("a", 3, 4));
    XYPlot plot = Charts.scatter("t", "x", "y", points, false).getXYPlot();

    assertThat(plot.getDomainAxis()).isInstanceOf(NumberAxis.class);
    assertThat(keys(plot.getDataset())).containsExactly("a", "b", "a (2)");
    assertCovers(plot.getDomainAxis(), -5, 3);
  }

  @Test
  void pngsAreWrittenAtTheChartSizeIntoNewFolders() throws IOException {
    Path line = dir.resolve("nested/folder/accuracy.png");
    Path spans = dir.resolve("timeline.png");
    Path scatter = dir.resolve("scatter.png");

    Charts.lineChart("Accuracy", "epoch", "accuracy", List.of(TEACHER, STUDENT), line);
    Charts.lineChart("t", "x", "y", List.of(TEACHER), List.of(new Span("s", 0, 9)), spans);
    Charts.scatterChart("t", "x", "y", List.of(new Point("p", 100, 1)), true, scatter);

    for (Path png : List.of(line, spans, scatter)) {
      assertThat(size(png)).as(png.toString()).containsExactly(900, 560);
    }
  }

  @Test
  void degenerateDataIsChartedWithoutErrors() throws IOException {
    Series single = new Series("single", new double[] {3}, new double[] {0.5});
    Series constant = new Series("constant", new double[] {1, 2, 3}, new double[] {7, 7, 7});
    Series allNaN = new Series(null, new double[] {NaN}, new double[] {NaN});

    XYPlot flat = Charts.line("t", "x", "y", List.of(constant), List.of()).getXYPlot();
    assertCovers(flat.getRangeAxis(), 7, 7);
    assertThat(flat.getRangeAxis().getRange().getLength()).isGreaterThan(0.1);
    XYPlot one =
        Charts.scatter(null, null, null, List.of(new Point(null, 25_600_000, 1)), true).getXYPlot();
    assertCovers(one.getDomainAxis(), 25_600_000, 25_600_000);
    assertThat(one.getDomainAxis().getRange().getLength()).isGreaterThan(1e6);
    assertThat(keys(one.getDataset())).containsExactly("");

    Charts.lineChart("t", "x", "y", List.of(single, constant, allNaN), dir.resolve("a.png"));
    Charts.lineChart(null, null, null, List.of(allNaN), dir.resolve("b.png"));
    Charts.lineChart("Loss", "epoch", "loss", List.of(), dir.resolve("c.png"));
    Charts.lineChart(
        "t", null, null, List.of(), List.of(new Span(null, 1, 2)), dir.resolve("d.png"));
    Charts.scatterChart("t", "x", "y", List.of(), true, dir.resolve("e.png"));
    Charts.scatterChart("t", "x", "y", List.of(new Point("z", 0, 1)), true, dir.resolve("f.png"));
    for (String name : List.of("a", "b", "c", "d", "e", "f")) {
      assertThat(size(dir.resolve(name + ".png"))).containsExactly(900, 560);
    }
  }

  @Test
  void seriesWithMismatchedLengthsIsRejected() {
    assertThatThrownBy(() -> new Series("s", new double[] {1, 2}, new double[] {1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 x values but 1 y values");
  }

  private static List<String> keys(XYDataset data) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < data.getSeriesCount(); i++) {
      keys.add(data.getSeriesKey(i).toString());
    }
    return keys;
  }

  private static void assertCovers(ValueAxis axis, double min, double max) {
    assertThat(axis.getLowerBound())
        .as("lower bound of " + axis.getLabel())
        .isLessThanOrEqualTo(min);
    assertThat(axis.getUpperBound())
        .as("upper bound of " + axis.getLabel())
        .isGreaterThanOrEqualTo(max);
  }

  /** Width and height from the PNG header, without decoding the image. */
  private static int[] size(Path png) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(png.toFile())) {
      ImageReader reader = ImageIO.getImageReaders(in).next();
      try {
        reader.setInput(in);
        return new int[] {reader.getWidth(0), reader.getHeight(0)};
      } finally {
        reader.dispose();
      }
    }
  }
}
