package io.edldist.jobs.bench;

import static org.apache.spark.sql.functions.col;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.edldist.jobs.blockwise.BlockwiseBench;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.teacher.TrainTeacherStage;
import io.edldist.jobs.train.Models;
import io.edldist.jobs.train.TrainStage;
import io.edldist.jobs.train.Trainer;
import io.edldist.jobs.train.TrainingData;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.BatchTranslator;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.ModelMeta;
import io.edldist.udfs.model.TorchThreads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The benchmark: every ratio is measured side by side in one run, on the same cores, each side
 * repeated {@code bench.repeats} times after one unmeasured warm-up run, and reported as the
 * median.
 *
 * <ul>
 *   <li>{@code infer_efficiency}: the Spark infer stage (read samples, mapPartitions, write a
 *       scratch Delta table) against a bare DJL loop over the same rows in driver memory, with the
 *       same teacher, batch size and parallelism (one thread per Spark task slot, each with {@code
 *       spark.task.cpus} libtorch threads).
 *   <li>{@code offline_kd_speedup}: student training reading teacher logits from {@code
 *       soft_labels} against online distillation (the teacher's forward pass inside the same loop),
 *       same student, rows, batch size and epochs.
 *   <li>{@code end_to_end_speedup}: for 10 epochs over the train split, online distillation against
 *       infer once plus 10 offline epochs, from the measured rates.
 *   <li>{@code blockwise_speedup_2_*}: see {@link BlockwiseBench} ({@code blockwise.bench}).
 *   <li>{@code infer_scaling_2x} and executor memory with 1 and 4 concurrent tasks, on a standalone
 *       cluster started on this machine ({@link ClusterBench}); this part runs last because it
 *       stops the local session.
 * </ul>
 */
public final class BenchStage {
  private static final String SCRATCH = "bench_soft_labels";

  /** Unmeasured runs of each side first, so neither pays for JIT compilation and first use. */
  private static final int WARMUP = 1;

  private final Lake lake;
  private final EdlConfig config;
  private final String runId;
  private Path outDir = Path.of("bench");
  private Path markdown = Path.of("BENCHMARKS.md");

  public BenchStage(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  public BenchStage output(Path dir, Path markdownFile) {
    this.outDir = dir;
    this.markdown = markdownFile;
    return this;
  }

  public Map<String, Object> execute() throws IOException {
    new IngestStage(lake, config).execute();
    String blockwise = config.get(EdlConfig.BLOCKWISE_BENCH);
    if (blockwise.equals("only")) {
      Map<String, Object> out =
          new BlockwiseBench(lake, config).measure(config.get(EdlConfig.BENCH_REPEATS), WARMUP);
      writeJson(out);
      System.out.print(BlockwiseBench.markdown(out));
      return out;
    }
    ModelBundle teacher =
        new TrainTeacherStage(lake, config, runId).reuse(true).execute().teacher();
    new InferStage(lake, config, runId).execute();
    Features features = IngestStage.features(lake);
    int classes = IngestStage.classes(lake);
    int repeats = config.get(EdlConfig.BENCH_REPEATS);
    int batchSize = config.get(EdlConfig.INFER_BATCH_SIZE);

    List<Double> sparkInfer = new ArrayList<>();
    List<Double> bareInfer = new ArrayList<>();
    Dataset<Row> samples = lake.read(Lake.SAMPLES);
    float[][] rows = collectFeatures(samples, features);
    int slots = lake.spark().sparkContext().defaultParallelism();
    int threads = Integer.parseInt(lake.spark().conf().get("spark.task.cpus", "1"));
    for (int r = -WARMUP; r < repeats; r++) {
      lake.delete(SCRATCH);
      InferStage.Result result =
          new InferStage(
                  lake, config.with(EdlConfig.INFER_ROWS_PER_COMMIT, Integer.MAX_VALUE), runId)
              .table(SCRATCH)
              .execute();
      double spark = result.samplesPerSecond();
      double bare = bareInfer(teacher, features, rows, batchSize, slots, threads);
      System.err.printf(
          Locale.ROOT,
          "bench: infer %s: spark %.0f/s, bare %.0f/s%n",
          run(r, repeats),
          spark,
          bare);
      if (r >= 0) {
        sparkInfer.add(spark);
        bareInfer.add(bare);
      }
    }
    lake.delete(SCRATCH);

    int benchRows = config.get(EdlConfig.BENCH_ROWS);
    String teacherId = teacher.meta().id();
    Dataset<Row> soft =
        lake.read(Lake.SOFT_LABELS)
            .where(col("teacher_id").equalTo(teacherId).and(col("split").equalTo("train")))
            .orderBy("id")
            .limit(benchRows);
    Dataset<Row> plain =
        samples.where(col("split").equalTo("train")).orderBy("id").limit(benchRows);
    long seed = config.get(EdlConfig.SEED);
    TrainingData offlineData = TrainingData.inMemory(soft, features, classes, true, seed);
    TrainingData onlineData = TrainingData.inMemory(plain, features, classes, false, seed);
    List<Double> offline = new ArrayList<>();
    List<Double> online = new ArrayList<>();
    for (int r = -WARMUP; r < repeats; r++) {
      double off = train(offlineData, features, classes, null);
      double on = train(onlineData, features, classes, teacher);
      System.err.printf(
          Locale.ROOT,
          "bench: training %s: offline %.0f/s, online %.0f/s%n",
          run(r, repeats),
          off,
          on);
      if (r >= 0) {
        offline.add(off);
        online.add(on);
      }
    }

    double sparkRate = median(sparkInfer);
    double bareRate = median(bareInfer);
    double offlineRate = median(offline);
    double onlineRate = median(online);
    long trainRows = samples.where(col("split").equalTo("train")).count();
    long allRows = samples.count();
    int epochs = 10;
    double onlineSeconds = epochs * trainRows / onlineRate;
    double offlineSeconds = allRows / sparkRate + epochs * trainRows / offlineRate;

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("timestamp", LocalDateTime.now().toString());
    out.put("cores", Runtime.getRuntime().availableProcessors());
    out.put("spark_task_slots", slots);
    out.put("repeats", repeats);
    out.put("warmup_runs", WARMUP);
    out.put("teacher", teacherId);
    out.put("infer_rows", allRows);
    out.put("infer_batch_size", batchSize);
    out.put("train_rows", offlineData.size());
    out.put("train_epochs", config.get(EdlConfig.BENCH_EPOCHS));
    out.put("train_batch_size", config.get(EdlConfig.TRAIN_BATCH_SIZE));
    out.put(
        "student", config.get(EdlConfig.STUDENT_ARCH) + "-" + config.get(EdlConfig.STUDENT_HIDDEN));
    out.put("infer_efficiency", sparkRate / bareRate);
    out.put("offline_kd_speedup", offlineRate / onlineRate);
    out.put("end_to_end_speedup", onlineSeconds / offlineSeconds);
    Map<String, Object> rates = new LinkedHashMap<>();
    rates.put("spark_infer", sparkRate);
    rates.put("bare_djl_infer", bareRate);
    rates.put("offline_kd_train", offlineRate);
    rates.put("online_kd_train", onlineRate);
    out.put("samples_per_s", rates);
    Map<String, Object> runs = new LinkedHashMap<>();
    runs.put("spark_infer", sparkInfer);
    runs.put("bare_djl_infer", bareInfer);
    runs.put("offline_kd_train", offline);
    runs.put("online_kd_train", online);
    out.put("runs_samples_per_s", runs);
    Map<String, Object> e2e = new LinkedHashMap<>();
    e2e.put("epochs", epochs);
    e2e.put("online_s", onlineSeconds);
    e2e.put("infer_plus_offline_s", offlineSeconds);
    out.put("end_to_end", e2e);
    if (blockwise.equals("on")) {
      out.putAll(new BlockwiseBench(lake, config).measure(repeats, WARMUP));
    }
    out.putAll(new ClusterBench(lake.root(), config, runId).execute(lake));

    Path json = writeJson(out);
    Files.writeString(markdown, BenchMarkdown.render(out, json));
    System.out.println("bench: wrote " + json + " and " + markdown);
    return out;
  }

  private Path writeJson(Map<String, Object> out) throws IOException {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Files.createDirectories(outDir.resolve("results"));
    Path json = outDir.resolve("results").resolve(stamp + ".json");
    String text =
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out);
    Files.writeString(json, text + "\n");
    System.out.println(text);
    return json;
  }

  private static float[][] collectFeatures(Dataset<Row> samples, Features features) {
    List<Row> all =
        samples.select("id", "split", "label", "features").orderBy("id").collectAsList();
    float[][] out = new float[all.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new float[features.size()];
      features.copy(all.get(i), 3, out[i], 0);
    }
    return out;
  }

  /** The same teacher, batch size and parallelism as Spark's tasks, without Spark. */
  private static double bareInfer(
      ModelBundle teacher,
      Features features,
      float[][] rows,
      int batchSize,
      int slots,
      int threads) {
    Model model = ModelCache.get(teacher);
    long[] shape = features.longShape();
    int size = features.size();
    ExecutorService pool = Executors.newFixedThreadPool(slots);
    long start = System.nanoTime();
    try {
      List<Future<Long>> parts = new ArrayList<>();
      int per = (rows.length + slots - 1) / slots;
      for (int s = 0; s < slots; s++) {
        int from = s * per;
        int to = Math.min(rows.length, from + per);
        parts.add(
            pool.submit(
                () -> {
                  TorchThreads.set(threads);
                  long checksum = 0;
                  try (Predictor<BatchTranslator.Batch, float[]> p =
                      model.newPredictor(new BatchTranslator())) {
                    float[] buffer = new float[batchSize * size];
                    for (int b = from; b < to; b += batchSize) {
                      int n = Math.min(batchSize, to - b);
                      for (int i = 0; i < n; i++) {
                        System.arraycopy(rows[b + i], 0, buffer, i * size, size);
                      }
                      checksum += p.predict(new BatchTranslator.Batch(buffer, n, shape)).length;
                    }
                  }
                  return checksum;
                }));
      }
      long total = 0;
      for (Future<Long> f : parts) {
        total += f.get();
      }
      if (total != (long) rows.length * teacher.meta().classes()) {
        throw new IllegalStateException("bare loop scored " + total + " values");
      }
    } catch (Exception e) {
      throw EdlException.cannot("run the bare inference loop", e, "See --verbose");
    } finally {
      pool.shutdown();
    }
    return rows.length / ((System.nanoTime() - start) / 1e9);
  }

  /** Samples/s of one student training run; with a teacher, the teacher runs inside the loop. */
  private double train(TrainingData data, Features features, int classes, ModelBundle teacher) {
    ModelMeta meta =
        ModelMeta.untrained(
            "bench-student",
            config.get(EdlConfig.STUDENT_ARCH),
            config.get(EdlConfig.STUDENT_HIDDEN),
            features.shape(),
            classes);
    long seed = config.get(EdlConfig.SEED);
    Trainer.Settings settings =
        TrainStage.studentSettings(
            config,
            teacher == null ? "bench offline" : "bench online",
            config.get(EdlConfig.BENCH_EPOCHS),
            config.get(EdlConfig.TRAIN_ALPHA));
    try (Model student = Models.create(meta, seed)) {
      Trainer trainer = new Trainer(student, settings).quiet(true);
      if (teacher == null) {
        return trainer.fit(data, false).samplesPerSecond();
      }
      long[] shape = features.longShape();
      try (Predictor<BatchTranslator.Batch, float[]> p =
          ModelCache.get(teacher).newPredictor(new BatchTranslator())) {
        trainer.onlineTeacher(
            b -> {
              try {
                return p.predict(new BatchTranslator.Batch(b.x(), b.n(), shape));
              } catch (TranslateException e) {
                throw EdlException.cannot("run the teacher online", e, "See --verbose");
              }
            });
        return trainer.fit(data, false).samplesPerSecond();
      }
    }
  }

  private static String run(int r, int repeats) {
    return r < 0 ? "warm-up" : "run " + (r + 1) + "/" + repeats;
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
