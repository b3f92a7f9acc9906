package io.edldist.jobs.bench;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.results.Stats;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.BatchTranslator;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.TorchThreads;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Row;

/**
 * {@code infer_efficiency}: the whole Spark infer stage (read {@code samples}, score on the
 * executors, write and commit {@code soft_labels}) against the fastest bare DJL loop over the same
 * number of rows held in memory, with the same teacher on the same cores; and, given a {@link
 * PyTorchLoop} of the same layout, both against a plain PyTorch loop over the same rows. The bare
 * loop's setting is swept first ({@code bare_loop_best}): loops side by side x libtorch threads per
 * loop x batch size.
 *
 * <p>Sizing: the rounds score the samples repeated under new ids (in a scratch lake) to about
 * {@code seconds} of the fastest bare loop's work. An infer with nothing to score is timed ({@code
 * infer_noop_s}), and in every round an infer of the samples alone beside the Spark side: the line
 * through the two, at zero rows, is what a call costs beyond its rows ({@code infer_intercept_s},
 * the median over the rounds). The bare loops cycle over the source rows in memory up to the same
 * count, so every side scores the same rows; every timed infer is checked to have scored every row.
 * A round whose bare loop runs under {@link #DISTURBED} of its sweep rate (another job on the
 * machine) is run again.
 */
final class InferBench {
  static final double DISTURBED = 0.9;

  private final Lake lake;
  private final EdlConfig config;
  private final ModelBundle teacher;
  private final Features features;
  private final String runId;
  private final List<BenchResult.BareLoop> sweep = new ArrayList<>();

  InferBench(Lake lake, EdlConfig config, ModelBundle teacher, Features features, String runId) {
    this.lake = lake;
    this.config = config;
    this.teacher = teacher;
    this.features = features;
    this.runId = runId;
  }

  /** The rows of {@code samples}, as the teacher reads them. */
  float[][] source() {
    return collect(lake, features);
  }

  /**
   * {@code rounds} measured rounds over about {@code seconds} of the bare loop's work; the PyTorch
   * side too when {@code pytorch} is not null.
   */
  BenchResult.Infer measure(int rounds, double seconds, float[][] source, PyTorchLoop pytorch) {
    int batchSize = config.get(EdlConfig.INFER_BATCH_SIZE);
    // soft_labels of the source lake is complete: this infer has nothing to score
    double noop = new InferStage(lake, config, runId).execute().seconds();
    int slots = lake.spark().sparkContext().defaultParallelism();
    int cores = slots * Integer.parseInt(lake.spark().conf().get("spark.task.cpus", "1"));
    double sweepSeconds = seconds / 15;
    BenchResult.BareLoop best = fastestBareLoop(source, cores, batchSize, sweepSeconds);
    BenchResult.BareLoop fastestPyTorch =
        pytorch == null ? null : pytorch.fastest(cores, batchSize, sweepSeconds);
    int copies = (int) Math.max(1, Math.floor(seconds * best.samplesPerS() / source.length));
    long rows = (long) copies * source.length;
    System.err.printf(
        Locale.ROOT,
        "bench: the rounds score %,d rows (%d x the samples), about %.1f s of the fastest bare"
            + " loop's work%n",
        rows,
        copies,
        seconds);
    // the sides in the order they run: the samples alone just before the Spark side whenever
    // the rotation does not put the Spark side first
    List<Pairs.Side> sides = new ArrayList<>();
    List<String> names = new ArrayList<>();
    sides.add(warmup -> bare(source, rows, best.batch(), best.loops(), best.threads()));
    names.add("bare DJL");
    Pairs.Rounds r;
    try (ScratchLake one = ScratchLake.repeated(lake, 1, teacher);
        ScratchLake scratch = ScratchLake.repeated(lake, copies, teacher)) {
      if (pytorch != null) {
        sides.add(warmup -> pytorch.seconds(rows, fastestPyTorch));
        names.add("PyTorch");
      }
      if (copies > 1) { // the samples alone: a second point of the line through the Spark side
        sides.add(warmup -> one.inferAll(config, runId).seconds());
        names.add("Spark on the samples alone");
      }
      sides.add(warmup -> scratch.inferAll(config, runId).seconds());
      names.add("Spark");
      r =
          Pairs.rounds(
              "infer: " + String.join(", ", names),
              rounds,
              sides,
              s -> rows / s[0] < DISTURBED * best.samplesPerS());
    }
    List<Double> bareSeconds = r.side(0);
    List<Double> pytorchSeconds = pytorch == null ? null : r.side(1);
    List<Double> alone = copies > 1 ? r.side(sides.size() - 2) : null;
    List<Double> sparkSeconds = r.side(sides.size() - 1);
    // per round, the line through (samples, alone) and (rows, Spark side) at zero rows; the median
    // over the undisturbed rounds, as every other figure
    Double intercept = null;
    if (copies > 1) {
      List<Double> intercepts = new ArrayList<>();
      for (int i = 0; i < alone.size(); i++) {
        intercepts.add((copies * alone.get(i) - sparkSeconds.get(i)) / (copies - 1));
      }
      intercept = Stats.median(BenchResult.Infer.undisturbed(intercepts, r.disturbed()));
      System.err.printf(
          Locale.ROOT,
          "bench: infer costs %.2f s beyond its rows (per round, the line through %,d rows: %s)%n",
          intercept,
          source.length,
          alone);
    }
    return new BenchResult.Infer(
        rows,
        (long) source.length,
        seconds,
        batchSize,
        noop,
        intercept,
        best,
        sweep,
        sparkSeconds,
        bareSeconds,
        alone,
        Pairs.ratios(bareSeconds, sparkSeconds),
        r.disturbed(),
        r.reruns(),
        fastestPyTorch,
        pytorch == null ? null : pytorch.sweep(),
        pytorchSeconds,
        pytorch == null ? null : Pairs.ratios(pytorchSeconds, sparkSeconds),
        pytorch == null ? null : Pairs.ratios(pytorchSeconds, bareSeconds));
  }

  /**
   * The fastest plain loop on these cores: every split of the Spark slots' cores into loops x
   * libtorch threads, at batch sizes around {@code infer.batch-size}; each setting warmed up on a
   * few batches, then timed three times over about {@code sweepSeconds} of rows; the median.
   */
  private BenchResult.BareLoop fastestBareLoop(
      float[][] source, int cores, int batchSize, double sweepSeconds) {
    BenchResult.BareLoop best = null;
    for (int loops = 1; loops <= cores; loops++) {
      if (cores % loops != 0) {
        continue;
      }
      for (int batch : new int[] {Math.max(1, batchSize / 4), batchSize, batchSize * 4}) {
        int threads = cores / loops;
        long warmRows = 4L * batch * loops;
        double warm = bare(source, warmRows, batch, loops, threads);
        long rows = Math.max(warmRows, (long) (sweepSeconds * warmRows / warm));
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          times.add(bare(source, rows, batch, loops, threads));
        }
        double perSecond = rows / Stats.median(times);
        BenchResult.BareLoop b = new BenchResult.BareLoop(loops, threads, batch, perSecond, null);
        sweep.add(b);
        System.err.printf(
            Locale.ROOT,
            "bench: bare loop, %d loop(s) x %d thread(s), batch %d: %,.0f samples/s%n",
            loops,
            threads,
            batch,
            perSecond);
        if (best == null || perSecond > best.samplesPerS()) {
          best = b;
        }
      }
    }
    return best;
  }

  private static float[][] collect(Lake lake, Features features) {
    List<Row> all = lake.read(Lake.SAMPLES).select("features").collectAsList();
    float[][] out = new float[all.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new float[features.size()];
      features.copy(all.get(i), 0, out[i], 0);
    }
    return out;
  }

  /**
   * Seconds for the bare loop to score {@code rows} rows, cycling over {@code source}: {@code
   * slots} threads, each scoring its share in batches with its own predictor.
   */
  private double bare(float[][] source, long rows, int batchSize, int slots, int threads) {
    // slots: loops side by side, each with its own predictor and threads libtorch threads
    Model model = ModelCache.get(teacher);
    long[] shape = features.longShape();
    int size = features.size();
    ExecutorService pool = Executors.newFixedThreadPool(slots);
    long start = System.nanoTime();
    try {
      List<Future<Long>> parts = new ArrayList<>();
      long per = (rows + slots - 1) / slots;
      for (int s = 0; s < slots; s++) {
        long from = s * per;
        long to = Math.min(rows, from + per);
        parts.add(
            pool.submit(
                () -> {
                  TorchThreads.set(threads);
                  long scored = 0;
                  try (Predictor<BatchTranslator.Batch, float[]> p =
                      model.newPredictor(new BatchTranslator())) {
                    float[] buffer = new float[batchSize * size];
                    for (long b = from; b < to; b += batchSize) {
                      int n = (int) Math.min(batchSize, to - b);
                      for (int i = 0; i < n; i++) {
                        float[] row = source[(int) ((b + i) % source.length)];
                        System.arraycopy(row, 0, buffer, i * size, size);
                      }
                      scored += p.predict(new BatchTranslator.Batch(buffer, n, shape)).length;
                    }
                  }
                  return scored;
                }));
      }
      long total = 0;
      for (Future<Long> f : parts) {
        total += f.get();
      }
      if (total != rows * teacher.meta().classes()) {
        throw new IllegalStateException("the bare loop scored " + total + " values");
      }
    } catch (Exception e) {
      throw EdlException.cannot("run the bare inference loop", e, "See --verbose");
    } finally {
      pool.shutdown();
    }
    return Pairs.seconds(start);
  }
}
