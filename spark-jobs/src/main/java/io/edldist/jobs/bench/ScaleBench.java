package io.edldist.jobs.bench;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.ResultsFiles;
import io.edldist.jobs.results.ScaleResult;
import io.edldist.jobs.train.TrainStage;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.model.ModelBundle;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * {@code edl-dist bench --scale}: does the cost per sample stay flat as the table grows? The bench
 * lake's samples repeated {@link #COPIES} times under new ids (generated on the executors, never
 * collected), one {@code infer} over each from scratch (after an unmeasured one), then KD training
 * of the student for one epoch from the largest table on the streaming path and from the smallest
 * in memory.
 *
 * <p>Per size: wall microseconds per scored row, the driver's heap peak during the infer (heap
 * pools' peaks, reset after a GC before each size), and at the largest size the data bytes of
 * {@code soft_labels} per row.
 */
public final class ScaleBench {
  /** Table sizes, as copies of the bench lake's samples (70k rows for Fashion-MNIST). */
  static final List<Integer> COPIES = List.of(1, 10, 30);

  private final Lake lake;
  private final EdlConfig config;
  private final ModelBundle teacher;
  private final String runId;

  ScaleBench(Lake lake, EdlConfig config, ModelBundle teacher, String runId) {
    this.lake = lake;
    this.config = config;
    this.teacher = teacher;
    this.runId = runId;
  }

  ScaleResult measure(String stamp) {
    Map<String, Double> usPerRow = new LinkedHashMap<>();
    Map<String, Double> seconds = new LinkedHashMap<>();
    Map<String, Double> heap = new LinkedHashMap<>();
    long[] rows = new long[COPIES.size()];
    double bytesPerRow = 0;
    double streamRate = 0;
    double memoryRate = 0;
    long streamRows = 0;
    long memoryRows = 0;
    try (ScratchLake warmup = ScratchLake.repeated(lake, 1, teacher)) {
      // unmeasured: the session's first infer also pays for class loading and JIT compilation
      new InferStage(warmup.lake(), config, runId).execute();
    }
    for (int i = 0; i < COPIES.size(); i++) {
      int copies = COPIES.get(i);
      boolean smallest = i == 0;
      boolean largest = i == COPIES.size() - 1;
      try (ScratchLake scratch = ScratchLake.repeated(lake, copies, teacher)) {
        resetHeapPeak();
        InferStage.Result r =
            ScratchLake.scoredAll(
                new InferStage(scratch.lake(), config, runId).execute(), scratch.lake());
        double peak = heapPeakMb();
        rows[i] = r.scored();
        String key = Long.toString(r.scored());
        usPerRow.put(key, r.seconds() * 1e6 / r.scored());
        seconds.put(key, r.seconds());
        heap.put(key, peak);
        System.err.printf(
            Locale.ROOT,
            "bench --scale: %,d rows scored in %.1f s, %.1f us per row, driver heap peak %.0f MB%n",
            r.scored(),
            r.seconds(),
            r.seconds() * 1e6 / r.scored(),
            peak);
        if (largest) {
          bytesPerRow = softLabelBytesPerRow(scratch.lake());
          TrainStage.Result t = train(scratch.lake(), true);
          streamRate = t.training().samplesPerSecond();
          streamRows = t.training().samples();
        }
        if (smallest) {
          TrainStage.Result t = train(scratch.lake(), false);
          memoryRate = t.training().samplesPerSecond();
          memoryRows = t.training().samples();
        }
      }
    }
    String first = Long.toString(rows[0]);
    String last = Long.toString(rows[rows.length - 1]);
    return new ScaleResult(
        ScaleResult.KIND,
        stamp,
        ResultsFiles.gitCommit(),
        Runtime.getRuntime().availableProcessors(),
        lake.spark().sparkContext().defaultParallelism(),
        teacher.meta().id(),
        usPerRow,
        seconds,
        usPerRow.get(last) / usPerRow.get(first),
        intercept(rows, seconds),
        rows[rows.length - 1],
        bytesPerRow,
        4 * teacher.meta().classes(),
        heap.values().stream().mapToDouble(Double::doubleValue).max().orElse(0),
        heap,
        streamRate,
        memoryRate,
        streamRows,
        memoryRows);
  }

  /** One epoch of KD training; {@code streamed} forces the streaming path with a tiny budget. */
  private TrainStage.Result train(Lake scratch, boolean streamed) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put(EdlConfig.TRAIN_MODE.name(), "kd");
    s.put(EdlConfig.TRAIN_EPOCHS.name(), "1");
    if (streamed) {
      s.put(EdlConfig.TRAIN_MEMORY_BUDGET_MB.name(), "1");
    }
    TrainStage.Result r = new TrainStage(scratch, config.with(s), runId).execute();
    if (r.streamed() != streamed) {
      throw EdlException.cannot(
          "measure the " + (streamed ? "streaming" : "in-memory") + " training path",
          "training took the other path",
          "Raise train.memory-budget-mb so that " + r.training().samples() + " rows fit");
    }
    System.err.printf(
        Locale.ROOT,
        "bench --scale: KD training, %s path, %,d samples at %,.0f samples/s%n",
        streamed ? "streaming" : "in-memory",
        r.training().samples(),
        r.training().samplesPerSecond());
    return r;
  }

  private static double softLabelBytesPerRow(Lake scratch) {
    Row d =
        scratch
            .spark()
            .sql("DESCRIBE DETAIL delta.`" + scratch.path(Lake.SOFT_LABELS) + "`")
            .select("sizeInBytes")
            .first();
    return (double) d.getLong(0) / scratch.read(Lake.SOFT_LABELS).count();
  }

  /** Least-squares intercept of seconds against rows. */
  private static double intercept(long[] rows, Map<String, Double> seconds) {
    int n = rows.length;
    double mx = 0;
    double my = 0;
    for (long r : rows) {
      mx += (double) r / n;
      my += seconds.get(Long.toString(r)) / n;
    }
    double sxy = 0;
    double sxx = 0;
    for (long r : rows) {
      sxy += (r - mx) * (seconds.get(Long.toString(r)) - my);
      sxx += (r - mx) * (r - mx);
    }
    return sxx == 0 ? my : my - sxy / sxx * mx;
  }

  private static void resetHeapPeak() {
    System.gc();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        p.resetPeakUsage();
      }
    }
  }

  private static double heapPeakMb() {
    long peak = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        peak += p.getPeakUsage().getUsed();
      }
    }
    return peak / (1024.0 * 1024.0);
  }
}
