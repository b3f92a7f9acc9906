package io.edldist.jobs.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The training progress line: epoch, a bar, step, loss and samples/s, with an ETA. On a terminal it
 * redraws in place; in a log (Airflow, spark-submit in cluster mode) it prints a line every {@code
 * every} steps, or at every tenth of the run so logs stay short.
 */
final class ProgressBar {
  private final String label;
  private final long totalSteps;
  private final int epochs;
  private final PrintStream out;
  private final boolean terminal;
  private final int every;
  private final long startNanos = System.nanoTime();
  private long lastDraw;
  private int lastDecile = -1;

  /**
   * @param every in a log, a line every this many steps; 0 for a line at every tenth of the run
   */
  ProgressBar(String label, long totalSteps, int epochs, int every, PrintStream out) {
    this.label = label;
    this.totalSteps = Math.max(1, totalSteps);
    this.epochs = epochs;
    this.every = every;
    this.out = out;
    this.terminal = System.console() != null;
  }

  void update(int epoch, long step, double loss, double samplesPerSecond) {
    long now = System.nanoTime();
    double fraction = Math.min(1.0, (double) step / totalSteps);
    int decile = (int) (fraction * 10);
    boolean last = step >= totalSteps;
    boolean due;
    if (terminal) {
      due = now - lastDraw >= 200_000_000L;
    } else {
      due = every > 0 ? step % every == 0 : decile != lastDecile;
    }
    if (!due && !last) {
      return;
    }
    lastDraw = now;
    lastDecile = decile;
    double elapsed = (now - startNanos) / 1e9;
    double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
    int width = 24;
    int filled = (int) Math.round(fraction * width);
    String line =
        String.format(
            Locale.ROOT,
            "%s epoch %d/%d [%s%s] %3.0f%% step %d/%d loss %.4f %,.0f samples/s eta %s",
            label,
            epoch + 1,
            epochs,
            "=".repeat(filled),
            " ".repeat(width - filled),
            fraction * 100,
            step,
            totalSteps,
            loss,
            samplesPerSecond,
            clock(eta));
    if (terminal) {
      out.print("\r" + line + (last ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }

  private static String clock(double seconds) {
    long s = Math.round(seconds);
    return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
