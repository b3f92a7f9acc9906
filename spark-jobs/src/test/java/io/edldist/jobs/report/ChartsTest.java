package io.edldist.jobs.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edldist.jobs.report.Charts.Point;
import io.edldist.jobs.report.Charts.Series;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {
  @TempDir Path dir;

  @Test
  void lineChartWithTwoSeriesIsAFilledPng() throws IOException {
    double[] epochs = {1, 2, 3, 4, 5, 6};
    Series teacher =
        new Series("teacher", epochs, new double[] {0.61, 0.74, 0.81, 0.85, 0.87, 0.88});
    Series student =
        new Series("student", epochs, new double[] {0.42, 0.58, Double.NaN, 0.73, 0.77, 0.79});
    Path png = dir.resolve("nested/folder/accuracy.png");

    Charts.lineChart("Accuracy", "epoch", "accuracy", List.of(teacher, student), png);

    assertDrawn(ImageIO.read(png.toFile()));
  }

  @Test
  void scatterChartWithLogXIsAFilledPng() throws IOException {
    List<Point> points =
        List.of(
            new Point("teacher", 25_600_000, 0.88),
            new Point("student KD", 1_200_000, 0.81),
            new Point("student", 1_200_000, 0.77),
            new Point("tiny", 45_000, 0.52),
            new Point("not on a log axis", 0, 0.5));
    Path png = dir.resolve("scatter.png");

    Charts.scatterChart("Accuracy vs size", "parameters", "accuracy", points, true, png);

    assertDrawn(ImageIO.read(png.toFile()));
  }

  @Test
  void degenerateDataIsDrawnWithoutErrors() throws IOException {
    Series single = new Series("single", new double[] {3}, new double[] {0.5});
    Series constant = new Series("constant", new double[] {1, 2, 3}, new double[] {7, 7, 7});
    Series allNaN = new Series("nan", new double[] {Double.NaN}, new double[] {Double.NaN});
    Path png = dir.resolve("degenerate.png");

    Charts.lineChart("t", "x", "y", List.of(single, constant, allNaN), png);
    Charts.lineChart(null, null, null, List.of(allNaN), dir.resolve("empty.png"));
    Charts.scatterChart(
        "t", "x", "y", List.of(new Point("one", 10, 1)), true, dir.resolve("one.png"));

    assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(900);
    assertThat(ImageIO.read(dir.resolve("empty.png").toFile()).getHeight()).isEqualTo(560);
    assertThat(ImageIO.read(dir.resolve("one.png").toFile()).getWidth()).isEqualTo(900);
  }

  @Test
  void emptySeriesListIsRejected() {
    assertThatThrownBy(
            () -> Charts.lineChart("Loss", "epoch", "loss", List.of(), dir.resolve("x.png")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no series");
  }

  @Test
  void seriesWithMismatchedLengthsIsRejected() {
    assertThatThrownBy(() -> new Series("s", new double[] {1, 2}, new double[] {1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 x values but 1 y values");
  }

  @Test
  void tickLabelsAreCompact() {
    assertThat(Charts.compact(0.875)).isEqualTo("0.875");
    assertThat(Charts.compact(1200)).isEqualTo("1.2k");
    assertThat(Charts.compact(25_000)).isEqualTo("25k");
    assertThat(Charts.compact(1_500_000)).isEqualTo("1.5M");
    assertThat(Charts.linearLabels(Charts.linearTicks(0.6875, 0.9625, 5)))
        .containsExactly("0.70", "0.75", "0.80", "0.85", "0.90", "0.95");
    assertThat(Charts.linearLabels(Charts.linearTicks(0, 50_000, 5)))
        .containsExactly("0", "10k", "20k", "30k", "40k", "50k");
    assertThat(Charts.logTicks(4, 8)).containsExactly(1e4, 1e5, 1e6, 1e7, 1e8);
  }

  /** Asserts the size, that much is drawn, and that at least two clearly different hues are. */
  private static void assertDrawn(BufferedImage image) {
    assertThat(image.getWidth()).isEqualTo(900);
    assertThat(image.getHeight()).isEqualTo(560);
    int nonWhite = 0;
    int[] pixelsPerHue = new int[12];
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y) & 0xFFFFFF;
        if (rgb != 0xFFFFFF) {
          nonWhite++;
        }
        float[] hsb = Color.RGBtoHSB(rgb >> 16 & 0xFF, rgb >> 8 & 0xFF, rgb & 0xFF, null);
        if (hsb[1] > 0.5f && hsb[2] > 0.3f) {
          pixelsPerHue[(int) (hsb[0] * 12) % 12]++;
        }
      }
    }
    assertThat(nonWhite).isGreaterThan(500);
    assertThat(Arrays.stream(pixelsPerHue).filter(n -> n >= 30).count())
        .as("hues with at least 30 pixels")
        .isGreaterThanOrEqualTo(2);
  }
}
