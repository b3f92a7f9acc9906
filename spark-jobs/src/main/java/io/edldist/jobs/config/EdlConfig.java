package io.edldist.jobs.config;

import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Every setting of edl-dist, typed, with its default beside it.
 *
 * <p>Precedence, lowest first: the defaults below &lt; the config file ({@code --config FILE}, else
 * {@code $EDL_DIST_CONF}; Java properties format) &lt; {@code --set key=value} on the command line
 * (and its shortcuts {@code --lake}, {@code --data}). Keys are lowercase, with {@code .} for
 * hierarchy and {@code -} inside a word. Keys starting with {@code spark.} are Spark settings,
 * passed to the session as they are; given here they win over spark-submit's properties, being the
 * more specific request. Values are trimmed. An unknown key is an error, with the closest known key
 * suggested.
 */
public final class EdlConfig {
  /** One setting: its key, its default, its meaning, and a check of its values. */
  public record Key<T>(
      String name,
      String defaultValue,
      String doc,
      Parser<T> parser,
      Predicate<T> valid,
      String rule) {}

  /** Parses one text value; throws NumberFormatException or IllegalArgumentException. */
  @FunctionalInterface
  public interface Parser<T> {
    T parse(String text);
  }

  private static final Map<String, Key<?>> KEYS = new LinkedHashMap<>();

  public static final Key<String> LAKE =
      string("lake", "./lake", "Lake root: a local folder or s3a://bucket/prefix.");
  public static final Key<String> DATA =
      string(
          "data",
          "/usr/share/datasets/fashion-mnist",
          "Input of ingest: an idx folder (Fashion-MNIST layout), a .parquet or .csv path.");
  public static final Key<String> RUN_ID =
      string("run.id", "", "Run id for metrics, reports and checkpoints; default: a timestamp.");
  public static final Key<Long> SEED = longKey("seed", "42", "Seed for shuffling and weights.");

  public static final Key<String> INGEST_FORMAT =
      oneOf(
          "ingest.format",
          "auto",
          "Input format: auto, idx, parquet or csv.",
          "auto",
          "idx",
          "parquet",
          "csv");
  public static final Key<Integer> INGEST_ROWS_PER_FILE =
      positive(
          "ingest.rows-per-file",
          "4096",
          "Rows per file of samples; infer commits whole files, so this is its finest commit step.");
  public static final Key<Integer> INGEST_TRAIN_LIMIT =
      positiveOrZero("ingest.train-limit", "0", "Keep only the first N train samples (0: all).");
  public static final Key<Integer> INGEST_TEST_LIMIT =
      positiveOrZero("ingest.test-limit", "0", "Keep only the first N test samples (0: all).");
  public static final Key<String> INGEST_LABEL_COL =
      string("ingest.label-col", "label", "Parquet/CSV: the label column (int 0..classes-1).");
  public static final Key<String> INGEST_FEATURE_COLS =
      string(
          "ingest.feature-cols",
          "",
          "Parquet/CSV: comma-separated numeric feature columns, or one ARRAY column.");
  public static final Key<String> INGEST_ID_COL =
      string(
          "ingest.id-col",
          "",
          "Parquet/CSV: a unique BIGINT id column; default: the order Spark reads the rows.");
  public static final Key<String> INGEST_SPLIT_COL =
      string("ingest.split-col", "", "Parquet/CSV: a column holding 'train' or 'test'.");
  public static final Key<String> INGEST_SPLIT =
      oneOf(
          "ingest.split",
          "train",
          "Parquet/CSV without split column: the split of all rows.",
          "train",
          "test");
  public static final Key<Integer> INGEST_CLASSES =
      positive("ingest.classes", "10", "Parquet/CSV: number of classes.");
  public static final Key<String> INGEST_FEATURE_SHAPE =
      key(
          "ingest.feature-shape",
          "",
          "Parquet/CSV: sample shape, e.g. 1,28,28; default flat.",
          s -> s,
          s -> s.isEmpty() || io.edldist.udfs.infer.Features.parseShape(s) != null,
          "a list of positive whole numbers such as 1,28,28");

  public static final Key<String> TEACHER_NAME =
      string("teacher.name", "teacher", "Teacher name in the model store.");
  public static final Key<String> TEACHER_PATH =
      string(
          "teacher.path",
          "",
          "A TorchScript teacher file (.pt) to import and use instead of a trained one.");
  public static final Key<String> TEACHER_ARCH =
      oneOf(
          "teacher.arch",
          "cnn",
          "Teacher architecture.",
          "cnn",
          "small-cnn",
          "mlp",
          "vgg",
          "resnet18");
  public static final Key<Integer> TEACHER_HIDDEN =
      positive("teacher.hidden", "256", "Hidden width when teacher.arch=mlp.");
  public static final Key<Integer> TEACHER_EPOCHS =
      positive("teacher.epochs", "5", "Teacher training epochs.");
  public static final Key<Integer> TEACHER_BATCH_SIZE =
      positive("teacher.batch-size", "128", "Teacher training batch size.");
  public static final Key<Double> TEACHER_LEARNING_RATE =
      positiveDouble("teacher.learning-rate", "0.001", "Teacher Adam learning rate.");

  public static final Key<Integer> INFER_BATCH_SIZE =
      positive("infer.batch-size", "256", "Samples per teacher forward pass.");
  public static final Key<Integer> INFER_ROWS_PER_COMMIT =
      positive(
          "infer.rows-per-commit",
          "100000",
          "Soft labels are committed in batches of about this many rows (whole files of samples);"
              + " a crash loses at most one, and each pays for a Delta commit and planning.");
  public static final Key<String> INFER_DEVICE =
      oneOf(
          "infer.device",
          "auto",
          "Where tasks run the teacher: auto (the GPU Spark assigned to the task when libtorch"
              + " has CUDA, else the CPU), gpu (fail without one) or cpu.",
          "auto",
          "gpu",
          "cpu");
  public static final Key<Integer> INFER_PARTITIONS =
      positiveOrZero(
          "infer.partitions",
          "0",
          "Least partitions per commit batch (0: Spark's default parallelism).");

  public static final Key<String> STUDENT_ARCH =
      oneOf("student.arch", "mlp", "Student architecture.", "mlp", "small-cnn", "cnn");
  public static final Key<Integer> STUDENT_HIDDEN =
      positive("student.hidden", "128", "Hidden width when student.arch=mlp.");

  public static final Key<String> TRAIN_MODE =
      oneOf(
          "train.mode",
          "kd",
          "kd: distillation loss; baseline: hard labels only (alpha = 1).",
          "kd",
          "baseline");
  public static final Key<Integer> TRAIN_EPOCHS = positive("train.epochs", "20", "Epochs.");
  public static final Key<Integer> TRAIN_BATCH_SIZE =
      positive("train.batch-size", "128", "Batch size.");
  public static final Key<Double> TRAIN_LEARNING_RATE =
      positiveDouble("train.learning-rate", "0.001", "Adam learning rate.");
  public static final Key<String> TRAIN_LR_SCHEDULE =
      oneOf(
          "train.lr-schedule",
          "cosine",
          "Learning-rate schedule of teacher and student training: cosine (decay to 0) or"
              + " constant.",
          "cosine",
          "constant");
  public static final Key<Double> TRAIN_TEMPERATURE =
      positiveDouble("train.temperature", "1", "Distillation temperature T.");
  public static final Key<Double> TRAIN_ALPHA =
      key(
          "train.alpha",
          "0.5",
          "Weight of the hard-label loss in kd mode (0..1).",
          Double::parseDouble,
          a -> a >= 0 && a <= 1,
          "a number from 0 to 1");
  public static final Key<Integer> TRAIN_CHECKPOINT_EVERY =
      positive("train.checkpoint-every", "500", "Write a checkpoint every N steps.");
  public static final Key<String> TRAIN_DEVICE =
      oneOf(
          "train.device",
          "auto",
          "Where the driver trains: auto (the GPU Spark assigned to the driver when libtorch has"
              + " CUDA, else the CPU), gpu (fail without one) or cpu.",
          "auto",
          "gpu",
          "cpu");
  public static final Key<Integer> TRAIN_MEMORY_BUDGET_MB =
      positiveOrZero(
          "train.memory-budget-mb",
          "2048",
          "Load the training table into memory when it fits this budget; else stream it.");
  public static final Key<Integer> TRAIN_LOG_EVERY =
      positive("train.log-every", "50", "Record the loss in the metrics table every N steps.");
  public static final Key<Integer> TRAIN_PROGRESS_EVERY =
      positiveOrZero(
          "train.progress-every",
          "0",
          "When stderr is not a terminal (a log), print the progress line every N steps (0: at"
              + " every tenth of the run).");

  public static final Key<String> BLOCKWISE_TEACHER_NAME =
      string(
          "blockwise.teacher-name",
          "teacher-vgg",
          "Blockwise: the teacher in the model store; trained (teacher.arch=vgg) when absent.");
  public static final Key<Integer> BLOCKWISE_TEACHER_EPOCHS =
      positive(
          "blockwise.teacher-epochs", "12", "Blockwise: epochs when training the VGG teacher.");
  public static final Key<String> BLOCKWISE_BLOCKS =
      key(
          "blockwise.blocks",
          "all",
          "Blockwise: teacher blocks to replace: all, or block numbers such as 2,3,5.",
          s -> s,
          s -> s.equals("all") || s.matches("\\d+(,\\d+)*"),
          "all or a comma-separated list of block numbers");
  public static final Key<Integer> BLOCKWISE_ROWS =
      positive("blockwise.rows", "20000", "Blockwise: train rows each student block learns from.");
  public static final Key<Integer> BLOCKWISE_EPOCHS =
      positive("blockwise.epochs", "4", "Blockwise: epochs per student block.");
  public static final Key<Integer> BLOCKWISE_BATCH_SIZE =
      positive("blockwise.batch-size", "64", "Blockwise: batch size of block training.");
  public static final Key<Double> BLOCKWISE_LEARNING_RATE =
      positiveDouble(
          "blockwise.learning-rate", "0.003", "Blockwise: Adam learning rate of blocks.");
  public static final Key<String> BLOCKWISE_SCHEDULE =
      oneOf(
          "blockwise.schedule",
          "lpt",
          "Blockwise: assignment of blocks to slots: lpt (by profiled cost) or round-robin.",
          "lpt",
          "round-robin");
  public static final Key<Integer> BLOCKWISE_SLOTS =
      positiveOrZero(
          "blockwise.slots", "0", "Blockwise: executor slots to use (0: Spark's parallelism).");
  public static final Key<Integer> BLOCKWISE_PROFILE_BATCHES =
      positive("blockwise.profile-batches", "4", "Blockwise: timed batches per block to profile.");
  public static final Key<Double> BLOCKWISE_MAX_DROP =
      key(
          "blockwise.max-drop",
          "0.15",
          "Blockwise: keep a trained block only if swapping it in alone costs at most this much"
              + " validation accuracy (0..1).",
          Double::parseDouble,
          v -> v >= 0 && v <= 1,
          "a number from 0 to 1");
  public static final Key<Integer> BLOCKWISE_VALIDATION_ROWS =
      positive(
          "blockwise.validation-rows",
          "2000",
          "Blockwise: last train rows (by id) used to check each swapped block.");
  public static final Key<Integer> BLOCKWISE_FINETUNE_EPOCHS =
      positiveOrZero(
          "blockwise.finetune-epochs",
          "10",
          "Blockwise: end-to-end distillation epochs (0: none).");
  public static final Key<Integer> BLOCKWISE_FINETUNE_ROWS =
      positiveOrZero(
          "blockwise.finetune-rows",
          "0",
          "Blockwise: fine-tune on the first N train rows of soft_labels (0: all).");
  public static final Key<Double> BLOCKWISE_FINETUNE_LEARNING_RATE =
      positiveDouble(
          "blockwise.finetune-learning-rate", "0.001", "Blockwise: fine-tuning learning rate.");
  public static final Key<Integer> BLOCKWISE_BENCH_ROWS =
      positive(
          "blockwise.bench-rows", "4096", "Blockwise bench: rows per block in the speedup timing.");
  public static final Key<String> BLOCKWISE_BENCH =
      oneOf(
          "blockwise.bench",
          "on",
          "Blockwise bench: on (after the other benchmarks), only (just it; BENCHMARKS.md is left"
              + " as is and its section printed), off.",
          "on",
          "only",
          "off");

  public static final Key<Integer> BENCH_REPEATS =
      positive("bench.repeats", "3", "Runs per measurement; the median is reported.");
  public static final Key<Integer> BENCH_INFER_ROUNDS =
      positive(
          "bench.infer-rounds",
          "5",
          "Measured rounds of each infer comparison (bare DJL loop, Spark, PyTorch); the median of"
              + " the per-round ratios is reported.");
  public static final Key<Double> BENCH_INFER_SECONDS =
      positiveDouble(
          "bench.infer-seconds",
          "30",
          "Seconds of the fastest bare loop's work each infer round scores (a third of it with"
              + " the cheap TorchScript teacher); each setting of the loop sweeps is timed over a"
              + " fifteenth of it.");
  public static final Key<Integer> BENCH_ROWS =
      positive(
          "bench.rows", "20000", "Training rows of the training benchmark with the CNN teacher.");
  public static final Key<Integer> BENCH_RESNET_ROWS =
      positiveOrZero(
          "bench.resnet-rows",
          "4096",
          "ResNet-18 part of the bench: samples (the first ones, padded to 3x32x32) it scores and"
              + " trains on; 0: no ResNet-18 part.");

  public static final Key<Integer> CHAOS_TRAIN_ROWS =
      positive("chaos.train-rows", "6000", "Train samples the chaos scenarios run on.");
  public static final Key<Integer> CHAOS_TEST_ROWS =
      positive("chaos.test-rows", "1000", "Test samples the chaos scenarios run on.");
  private final Map<String, String> values;

  private EdlConfig(Map<String, String> values) {
    this.values = values;
  }

  /**
   * Builds the configuration from a file (may be null) and command-line overrides, in that order of
   * precedence. Checks every key and value.
   */
  public static EdlConfig load(Path file, Map<String, String> overrides) {
    Map<String, String> merged = new TreeMap<>();
    if (file != null) {
      merged.putAll(readFile(file));
    }
    overrides.forEach((k, v) -> merged.put(k.trim(), v.trim()));
    EdlConfig config = new EdlConfig(merged);
    config.validate(file);
    return config;
  }

  /** A copy with more overrides, e.g. a stage's own settings. */
  public EdlConfig with(Map<String, String> overrides) {
    Map<String, String> merged = new TreeMap<>(values);
    overrides.forEach((k, v) -> merged.put(k.trim(), v.trim()));
    EdlConfig config = new EdlConfig(merged);
    config.validate(null);
    return config;
  }

  public EdlConfig with(Key<?> key, Object value) {
    return with(Map.of(key.name(), String.valueOf(value)));
  }

  public <T> T get(Key<T> key) {
    return key.parser().parse(raw(key));
  }

  public String raw(Key<?> key) {
    return values.getOrDefault(key.name(), key.defaultValue());
  }

  /** Every setting given in the file or on the command line (not the defaults). */
  public Map<String, String> explicitSettings() {
    return new TreeMap<>(values);
  }

  /** The {@code spark.*} settings given in the file or on the command line. */
  public Map<String, String> sparkSettings() {
    Map<String, String> spark = new TreeMap<>();
    values.forEach(
        (k, v) -> {
          if (k.startsWith("spark.")) {
            spark.put(k, v);
          }
        });
    return spark;
  }

  private static final java.util.regex.Pattern SECRET =
      java.util.regex.Pattern.compile("(?i).*(secret|password|token|access\\.key|credential).*");

  /** A setting's value as it may be shown: credentials (keys, secrets, tokens) are masked. */
  public static String shown(String key, String value) {
    return SECRET.matcher(key).matches() && !value.isEmpty() ? "********" : value;
  }

  /** Every key with its default and doc, for {@code --help} and the README. */
  public static List<Key<?>> keys() {
    return List.copyOf(KEYS.values());
  }

  private void validate(Path file) {
    for (var e : values.entrySet()) {
      String name = e.getKey();
      if (name.startsWith("spark.")) {
        continue;
      }
      Key<?> key = KEYS.get(name);
      if (key == null) {
        String where = file == null ? "--set" : "key in " + file;
        throw EdlException.invalid(
            where + " '" + name + "'",
            "no such setting",
            closest(name) + "Run 'edl-dist config' to list every setting.");
      }
      check(key, e.getValue());
    }
  }

  private static <T> void check(Key<T> key, String text) {
    T value;
    try {
      value = key.parser().parse(text);
    } catch (IllegalArgumentException e) {
      throw badValue(key, text);
    }
    if (!key.valid().test(value)) {
      throw badValue(key, text);
    }
  }

  private static EdlException badValue(Key<?> key, String text) {
    return EdlException.invalid(
        "value for " + key.name(),
        "'" + text + "' is not " + key.rule(),
        "Use for example --set " + key.name() + "=" + key.defaultValue() + ".");
  }

  private static String closest(String name) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String known : KEYS.keySet()) {
      int d = editDistance(name, known);
      if (d < bestDistance) {
        bestDistance = d;
        best = known;
      }
    }
    return best != null && bestDistance <= 3 ? "Did you mean '" + best + "'? " : "";
  }

  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static Map<String, String> readFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw EdlException.cannot(
          "read config file " + file,
          "no such file",
          "Pass an existing file with --config, or leave it out to use the defaults");
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException | IllegalArgumentException e) {
      throw EdlException.cannot(
          "read config file " + file, e, "Write it as key=value lines (Java properties)");
    }
    Map<String, String> out = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).trim()));
    return out;
  }

  private static <T> Key<T> key(
      String name, String def, String doc, Parser<T> parser, Predicate<T> valid, String rule) {
    Key<T> key = new Key<>(name, def, doc, parser, valid, rule);
    KEYS.put(name, key);
    return key;
  }

  private static Key<String> string(String name, String def, String doc) {
    return key(name, def, doc, s -> s, s -> true, "text");
  }

  private static Key<String> oneOf(String name, String def, String doc, String... allowed) {
    List<String> options = List.of(allowed);
    return key(name, def, doc, s -> s, options::contains, "one of " + String.join(", ", options));
  }

  private static Key<Integer> positive(String name, String def, String doc) {
    return key(name, def, doc, Integer::parseInt, v -> v >= 1, "a whole number of 1 or more");
  }

  private static Key<Integer> positiveOrZero(String name, String def, String doc) {
    return key(name, def, doc, Integer::parseInt, v -> v >= 0, "a whole number of 0 or more");
  }

  private static Key<Long> longKey(String name, String def, String doc) {
    return key(name, def, doc, Long::parseLong, v -> true, "a whole number");
  }

  private static Key<Double> positiveDouble(String name, String def, String doc) {
    return key(
        name,
        def,
        doc,
        Double::parseDouble,
        v -> v > 0 && Double.isFinite(v),
        "a number greater than 0");
  }
}
