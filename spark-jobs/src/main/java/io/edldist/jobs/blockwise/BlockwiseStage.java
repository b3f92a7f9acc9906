package io.edldist.jobs.blockwise;

import static org.apache.spark.sql.functions.col;

import ai.djl.Model;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.evaluate.TestSet;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.Metrics;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.lake.SoftLabels;
import io.edldist.jobs.results.BlockwiseRun;
import io.edldist.jobs.teacher.TrainTeacherStage;
import io.edldist.jobs.train.TrainStage;
import io.edldist.jobs.train.Trainer;
import io.edldist.jobs.train.TrainingData;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.blockwise.BlockTask;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.BlockwiseModels;
import io.edldist.udfs.model.BlockwiseModels.ConvBlock;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.train.Schedule;
import io.edldist.udfs.train.TrainLoop;
import io.edldist.udfs.train.TrainSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Parallel blockwise distillation (arXiv 2012.03096) on Spark:
 *
 * <ol>
 *   <li>Ingest, the VGG teacher ({@code blockwise.teacher-name}, trained when the store lacks it)
 *       and its soft labels, each reused when the lake holds it.
 *   <li>A short profiling pass times every block to train; {@code blockwise.schedule} packs the
 *       blocks onto executor slots ({@link BlockSchedule}); one Spark task per slot trains its
 *       student blocks on the teacher's own block inputs ({@link BlockTask}), so no block waits for
 *       another. Trained blocks go to the model store under a key of the teacher and the block
 *       settings; a re-run trains only the blocks the store lacks.
 *   <li>Each trained block is swapped into the teacher alone and kept only if the validation
 *       accuracy (the last {@code blockwise.validation-rows} train rows) drops by at most {@code
 *       blockwise.max-drop}.
 *   <li>The kept blocks are assembled into the student ({@link StudentAssembly}), fine-tuned end to
 *       end on the driver with the distillation loss from the teacher's {@code soft_labels}, and
 *       saved as {@code student-blockwise}.
 *   <li>Teacher and student are evaluated on the test split ({@link BlockwiseReport}).
 * </ol>
 *
 * <p>Cost: the teacher forward pass over the training slice once per block and epoch (inside the
 * tasks), the block trainings, one validation pass per block, and the fine-tuning epochs. Driver
 * memory: the training slice as floats (broadcast), the soft labels of the train split.
 */
public final class BlockwiseStage {
  /** One trained block: its number, seconds of training, the last batch's loss, reused or not. */
  public record BlockRun(int block, double seconds, double finalLoss, boolean reused) {}

  /** What the stage did: the models, each block's run, and the report's content. */
  public record Result(
      ModelBundle teacher,
      ModelBundle student,
      List<BlockRun> blocks,
      BlockwiseRun run,
      String reportDir) {}

  private final Lake lake;
  private final EdlConfig config;
  private final String runId;

  public BlockwiseStage(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  /** The settings the VGG teacher is trained, stored and scored with. */
  public static EdlConfig teacherConfig(EdlConfig config) {
    return config.with(
        Map.of(
            EdlConfig.TEACHER_NAME.name(), config.get(EdlConfig.BLOCKWISE_TEACHER_NAME),
            EdlConfig.TEACHER_ARCH.name(), BlockwiseModels.VGG,
            EdlConfig.TEACHER_EPOCHS.name(),
                String.valueOf(config.get(EdlConfig.BLOCKWISE_TEACHER_EPOCHS))));
  }

  public Result execute() {
    Map<String, Double> timings = new LinkedHashMap<>();
    long t = System.nanoTime();
    EdlConfig teacherConfig = teacherConfig(config);
    new IngestStage(lake, config).execute();
    rejectTorchScript(teacherConfig);
    ModelBundle teacher =
        new TrainTeacherStage(lake, teacherConfig, runId).reuse(true).execute().teacher();
    List<ConvBlock> selected = selectedBlocks(BlockwiseModels.replaceableBlocks(teacher.meta()));
    t = lap(timings, "teacher", t);
    System.err.println("blockwise: teacher " + teacher.meta().id());
    new InferStage(lake, teacherConfig, runId).execute();
    t = lap(timings, "infer", t);

    Features features = SamplesMeta.of(lake).features();
    Dataset<Row> train = lake.read(Lake.SAMPLES).where(col("split").equalTo("train"));
    Metrics metrics = new Metrics(runId, "blockwise");
    List<BlockRun> runs = new ArrayList<>();
    Map<Integer, ModelBundle> trained = trainBlocks(teacher, selected, train, features, runs);
    t = lap(timings, "blocks", t);

    TestSet validation =
        TestSet.of(
            train.orderBy(col("id").desc()).limit(config.get(EdlConfig.BLOCKWISE_VALIDATION_ROWS)),
            features,
            false);
    double teacherValidation =
        validation.accuracy(validation.predictions(ModelCache.get(teacher), 256));
    Map<String, Double> swapAccuracy = new LinkedHashMap<>();
    Map<Integer, ModelBundle> kept = new TreeMap<>();
    for (var e : trained.entrySet()) {
      try (Model swapped = StudentAssembly.assemble(teacher, Map.of(e.getKey(), e.getValue()))) {
        double accuracy = validation.accuracy(validation.predictions(swapped, 256));
        swapAccuracy.put("block" + e.getKey(), accuracy);
        metrics.add("block" + e.getKey() + ".swap_validation_accuracy", accuracy);
        boolean keep = teacherValidation - accuracy <= config.get(EdlConfig.BLOCKWISE_MAX_DROP);
        System.err.printf(
            "blockwise: block%d alone: validation accuracy %.4f (teacher %.4f): %s%n",
            e.getKey(), accuracy, teacherValidation, keep ? "kept" : "rejected");
        if (keep) {
          kept.put(e.getKey(), e.getValue());
        }
      }
    }
    t = lap(timings, "swap_check", t);

    ModelBundle student;
    try (Model model = StudentAssembly.assemble(teacher, kept)) {
      fineTune(model, teacher, features, metrics);
      boolean[] replaced = new boolean[BlockwiseModels.replaceableBlocks(teacher.meta()).size()];
      kept.keySet().forEach(n -> replaced[n - 1] = true);
      student =
          new ModelStore(lake)
              .save(ModelBundle.ofBlock(StudentAssembly.meta(teacher, replaced), model));
    }
    t = lap(timings, "finetune", t);

    BlockwiseReport report = new BlockwiseReport(lake, runId);
    TestSet test =
        TestSet.of(
            SoftLabels.withSamples(lake, teacher.meta().id(), "test", false, true), features, true);
    BlockwiseRun.Scores teacherScores = report.score(teacher, ModelCache.get(teacher), test);
    BlockwiseRun.Scores studentScores;
    try (Model model = student.load()) {
      studentScores = report.score(student, model, test);
    }
    lap(timings, "evaluate", t);
    List<String> replaced = kept.keySet().stream().map(n -> "block" + n).toList();
    BlockwiseRun run =
        report.write(
            runs,
            replaced,
            swapAccuracy,
            teacherScores,
            studentScores,
            timings,
            blockSettings(),
            teacherValidation);
    metrics.add("teacher.test_accuracy", teacherScores.testAccuracy());
    metrics.add("student.test_accuracy", studentScores.testAccuracy());
    metrics.add("blocks_replaced", replaced.size());
    timings.forEach((k, v) -> metrics.add("seconds." + k, v));
    metrics.flush(lake);
    return new Result(teacher, student, runs, run, lake.path(report.folder()));
  }

  /**
   * A TorchScript teacher (teacher.path) has no blocks to replace: fail before it is imported into
   * the store, so nothing is written.
   */
  private void rejectTorchScript(EdlConfig teacherConfig) {
    String path = teacherConfig.get(EdlConfig.TEACHER_PATH);
    if (path.isEmpty()) {
      return;
    }
    BlockwiseModels.replaceableBlocks(
        new ModelStore(lake)
            .teacher(teacherConfig.get(EdlConfig.TEACHER_NAME), path, SamplesMeta.of(lake))
            .meta());
  }

  /** Trains the selected blocks the store does not hold yet; returns all selected blocks. */
  private Map<Integer, ModelBundle> trainBlocks(
      ModelBundle teacher,
      List<ConvBlock> selected,
      Dataset<Row> train,
      Features features,
      List<BlockRun> runs) {
    ModelStore store = new ModelStore(lake);
    String prefix = blockModelPrefix(teacher);
    Map<Integer, ModelBundle> out = new TreeMap<>();
    List<Integer> pending = new ArrayList<>();
    for (ConvBlock b : selected) {
      var existing = store.latest(prefix + b.number());
      if (existing.isPresent()) {
        out.put(b.number(), existing.get());
        runs.add(new BlockRun(b.number(), 0, Double.NaN, true));
      } else {
        pending.add(b.number());
      }
    }
    if (pending.isEmpty()) {
      System.err.println("blockwise: all " + selected.size() + " blocks already trained; reused");
      return out;
    }
    int slots = slots();
    float[] slice =
        BlockJobs.slice(train.orderBy("id").limit(config.get(EdlConfig.BLOCKWISE_ROWS)), features);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(lake.spark().sparkContext());
    try (BlockJobs jobs = new BlockJobs(jsc, teacher, slice, features.shape())) {
      double[] costs = jobs.profile(pending, settings(prefix, true));
      String policy = config.get(EdlConfig.BLOCKWISE_SCHEDULE);
      BlockSchedule schedule = BlockSchedule.of(policy, costs, slots);
      System.err.printf(
          "blockwise: training %d blocks on %d slots (%s, projected speedup %.2f)%n",
          pending.size(), slots, policy, schedule.projectedSpeedup());
      for (BlockTask.Trained done : jobs.train(pending, schedule, settings(prefix, false))) {
        out.put(done.block(), store.save(done.bundle()));
        runs.add(new BlockRun(done.block(), done.seconds(), done.finalLoss(), false));
        System.err.printf(
            "blockwise: block%d trained in %.1f s, mse %.4f -> %.4f%n",
            done.block(), done.seconds(), done.firstLoss(), done.finalLoss());
      }
    }
    return out;
  }

  private void fineTune(Model model, ModelBundle teacher, Features features, Metrics metrics) {
    int epochs = config.get(EdlConfig.BLOCKWISE_FINETUNE_EPOCHS);
    if (epochs == 0) {
      return;
    }
    Dataset<Row> soft = SoftLabels.withSamples(lake, teacher.meta().id(), "train", true, true);
    int rows = config.get(EdlConfig.BLOCKWISE_FINETUNE_ROWS);
    if (rows > 0) {
      soft = soft.orderBy("id").limit(rows);
    }
    long seed = config.get(EdlConfig.SEED);
    TrainingData data = TrainingData.inMemory(soft, features, teacher.meta().classes(), true, seed);
    TrainSettings settings =
        TrainSettings.builder()
            .setLabel("blockwise fine-tune")
            .setEpochs(epochs)
            .setBatchSize(config.get(EdlConfig.TRAIN_BATCH_SIZE))
            .setLearningRate(config.get(EdlConfig.BLOCKWISE_FINETUNE_LEARNING_RATE))
            .optSchedule(Schedule.named(config.get(EdlConfig.TRAIN_LR_SCHEDULE)))
            .optSeed(seed)
            .build();
    TrainLoop.Result r =
        new Trainer(model, settings, TrainStage.loss(config, config.get(EdlConfig.TRAIN_ALPHA)))
            .metrics(metrics, config.get(EdlConfig.TRAIN_LOG_EVERY))
            .fit(data, false);
    metrics.add("finetune.samples_per_second", r.samplesPerSecond());
  }

  /** The blocks named by blockwise.blocks, checked against the teacher's blocks. */
  List<ConvBlock> selectedBlocks(List<ConvBlock> all) {
    String spec = config.get(EdlConfig.BLOCKWISE_BLOCKS);
    if (spec.equals("all")) {
      return all;
    }
    List<ConvBlock> out = new ArrayList<>();
    for (String part : spec.split(",")) {
      int n = Integer.parseInt(part);
      if (n < 1 || n > all.size()) {
        throw EdlException.invalid(
            "blockwise.blocks '" + spec + "'",
            "block " + n + " does not exist; the teacher has blocks 1 to " + all.size(),
            "Use for example --set blockwise.blocks=all");
      }
      if (out.stream().noneMatch(b -> b.number() == n)) {
        out.add(all.get(n - 1));
      }
    }
    return out;
  }

  /**
   * Block training settings; a profiling run trains {@code blockwise.profile-batches} timed batches
   * after one untimed batch.
   */
  BlockTask.Settings settings(String prefix, boolean profiling) {
    TrainSettings.Builder train =
        TrainSettings.builder()
            .setLabel("blockwise block")
            .setEpochs(config.get(EdlConfig.BLOCKWISE_EPOCHS))
            .setBatchSize(config.get(EdlConfig.BLOCKWISE_BATCH_SIZE))
            .setLearningRate(config.get(EdlConfig.BLOCKWISE_LEARNING_RATE))
            .optSeed(config.get(EdlConfig.SEED));
    if (profiling) {
      train.optMaxSteps(config.get(EdlConfig.BLOCKWISE_PROFILE_BATCHES) + 1);
    }
    return new BlockTask.Settings(train.build(), taskThreads(), prefix);
  }

  int taskThreads() {
    return Integer.parseInt(lake.spark().conf().get("spark.task.cpus", "1"));
  }

  int slots() {
    int slots = config.get(EdlConfig.BLOCKWISE_SLOTS);
    return slots > 0 ? slots : lake.spark().sparkContext().defaultParallelism();
  }

  private Map<String, String> blockSettings() {
    Map<String, String> s = new LinkedHashMap<>();
    for (var key :
        List.of(
            EdlConfig.BLOCKWISE_BLOCKS,
            EdlConfig.BLOCKWISE_ROWS,
            EdlConfig.BLOCKWISE_EPOCHS,
            EdlConfig.BLOCKWISE_BATCH_SIZE,
            EdlConfig.BLOCKWISE_LEARNING_RATE,
            EdlConfig.BLOCKWISE_SCHEDULE,
            EdlConfig.BLOCKWISE_MAX_DROP,
            EdlConfig.BLOCKWISE_FINETUNE_EPOCHS,
            EdlConfig.BLOCKWISE_FINETUNE_ROWS,
            EdlConfig.BLOCKWISE_FINETUNE_LEARNING_RATE,
            EdlConfig.TRAIN_BATCH_SIZE,
            EdlConfig.TRAIN_TEMPERATURE,
            EdlConfig.TRAIN_ALPHA)) {
      s.put(key.name(), config.raw(key));
    }
    s.put("slots", Integer.toString(slots()));
    return s;
  }

  /**
   * Model-store name prefix of the trained blocks: a hash of the teacher and of every setting that
   * changes what a block learns, so a re-run reuses exactly the blocks trained the same way.
   */
  String blockModelPrefix(ModelBundle teacher) {
    String key =
        String.join(
            "|",
            teacher.meta().id(),
            config.raw(EdlConfig.BLOCKWISE_ROWS),
            config.raw(EdlConfig.BLOCKWISE_EPOCHS),
            config.raw(EdlConfig.BLOCKWISE_BATCH_SIZE),
            config.raw(EdlConfig.BLOCKWISE_LEARNING_RATE),
            config.raw(EdlConfig.SEED));
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return "blockwise-" + HexFormat.of().formatHex(hash).substring(0, 10) + "-block";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long lap(Map<String, Double> timings, String stage, long start) {
    long now = System.nanoTime();
    timings.put(stage, (now - start) / 1e9);
    return now;
  }
}
