package io.edldist.jobs.blockwise;

import static org.apache.spark.sql.functions.col;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.train.Models;
import io.edldist.udfs.blockwise.BlockTask;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.BlockwiseModels;
import io.edldist.udfs.model.BlockwiseModels.ConvBlock;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.ModelMeta;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The blockwise part of {@code edl-dist bench}, side by side in one run, each side repeated after
 * warm-up runs and reported as the median:
 *
 * <ul>
 *   <li>{@code blockwise_speedup_2_lpt} / {@code _round_robin}: wall time of training every block
 *       of the VGG teacher one after another in one task (one slot, one libtorch thread) over the
 *       wall time of the two-slot schedule of that policy (two tasks side by side), each block for
 *       one epoch over {@code blockwise.bench-rows} train rows. The teacher's weights do not change
 *       the work, so the stored VGG teacher is used when present and an untrained one otherwise.
 *   <li>A projection for 4, 8 and 16 slots: sum of the measured per-block seconds over the makespan
 *       of each policy's schedule.
 *   <li>Teacher input of a block, computed (the prefix forward pass inside the task, as {@link
 *       BlockTask} does) against stored (read back from a Delta table of activations written
 *       beforehand, the write not counted): seconds per block and epoch.
 * </ul>
 */
public final class BlockwiseBench {
  private static final String SCRATCH = "bench_block_activations";
  private static final int[] PROJECTED_SLOTS = {4, 8, 16};
  private static final int STORED_ROWS = 128;

  private final Lake lake;
  private final EdlConfig config;

  public BlockwiseBench(Lake lake, EdlConfig config) {
    this.lake = lake;
    this.config = config;
  }

  /** The measurements, keyed as they appear in the bench JSON. */
  public Map<String, Object> measure(int repeats, int warmup) {
    ModelBundle teacher = teacher();
    Features features = IngestStage.features(lake);
    List<ConvBlock> convs = BlockwiseModels.replaceableBlocks(teacher.meta());
    List<Integer> blocks = convs.stream().map(ConvBlock::number).toList();
    int rows = config.get(EdlConfig.BLOCKWISE_BENCH_ROWS);
    float[] slice =
        BlockwiseStage.floats(
            lake.read(Lake.SAMPLES).where(col("split").equalTo("train")).orderBy("id").limit(rows),
            features);
    BlockTask.Settings settings =
        new BlockTask.Settings(
            1,
            config.get(EdlConfig.BLOCKWISE_BATCH_SIZE),
            config.get(EdlConfig.BLOCKWISE_LEARNING_RATE),
            config.get(EdlConfig.SEED),
            Integer.parseInt(lake.spark().conf().get("spark.task.cpus", "1")),
            Integer.MAX_VALUE,
            "bench-block");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(lake.spark().sparkContext());
    List<Double> sequential = new ArrayList<>();
    List<Double> lpt = new ArrayList<>();
    List<Double> roundRobin = new ArrayList<>();
    double[][] blockSeconds = new double[blocks.size()][repeats];
    double[][] prefixSeconds = new double[blocks.size()][repeats];
    try (BlockJobs jobs = new BlockJobs(jsc, teacher, slice, features.shape())) {
      double[] profiled =
          jobs.profile(
              blocks,
              new BlockTask.Settings(
                  1,
                  settings.batchSize(),
                  settings.learningRate(),
                  settings.seed(),
                  settings.threads(),
                  config.get(EdlConfig.BLOCKWISE_PROFILE_BATCHES) + 1,
                  "bench-profile"));
      BlockSchedule one = BlockSchedule.lpt(profiled, 1);
      BlockSchedule twoLpt = BlockSchedule.lpt(profiled, 2);
      BlockSchedule twoRr = BlockSchedule.roundRobin(profiled, 2);
      for (int r = -warmup; r < repeats; r++) {
        int run = r;
        double seq =
            wall(
                () -> {
                  for (BlockTask.Trained t : jobs.train(blocks, one, settings)) {
                    if (run >= 0) {
                      int i = blocks.indexOf(t.block());
                      blockSeconds[i][run] = t.seconds();
                      prefixSeconds[i][run] = t.prefixSeconds();
                    }
                  }
                });
        double two = wall(() -> jobs.train(blocks, twoLpt, settings));
        double rr = wall(() -> jobs.train(blocks, twoRr, settings));
        System.err.printf(
            Locale.ROOT,
            "bench: blockwise %s: sequential %.2f s, 2 slots lpt %.2f s, round-robin %.2f s%n",
            r < 0 ? "warm-up" : "run " + (r + 1) + "/" + repeats,
            seq,
            two,
            rr);
        if (r >= 0) {
          sequential.add(seq);
          lpt.add(two);
          roundRobin.add(rr);
        }
      }
    }
    double[] costs = new double[blocks.size()];
    double[] prefix = new double[blocks.size()];
    for (int i = 0; i < costs.length; i++) {
      costs[i] = median(blockSeconds[i]);
      prefix[i] = median(prefixSeconds[i]);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("blockwise_speedup_2_lpt", median(sequential) / median(lpt));
    out.put("blockwise_speedup_2_round_robin", median(sequential) / median(roundRobin));
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("teacher", teacher.meta().id());
    detail.put("rows_per_block", slice.length / features.size());
    detail.put("epochs", 1);
    detail.put("batch_size", settings.batchSize());
    detail.put("sequential_s", median(sequential));
    detail.put("two_slots_lpt_s", median(lpt));
    detail.put("two_slots_round_robin_s", median(roundRobin));
    detail.put("runs_sequential_s", sequential);
    detail.put("runs_two_slots_lpt_s", lpt);
    detail.put("runs_two_slots_round_robin_s", roundRobin);
    Map<String, Object> perBlock = new LinkedHashMap<>();
    for (int i = 0; i < costs.length; i++) {
      perBlock.put("block" + blocks.get(i), costs[i]);
    }
    detail.put("block_seconds", perBlock);
    Map<String, Object> projection = new LinkedHashMap<>();
    for (int slots : PROJECTED_SLOTS) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("lpt", BlockSchedule.lpt(costs, slots).projectedSpeedup());
      p.put("round_robin", BlockSchedule.roundRobin(costs, slots).projectedSpeedup());
      projection.put(String.valueOf(slots), p);
    }
    detail.put("projected_speedup", projection);
    for (int i = 0; i < prefix.length; i++) {
      prefix[i] /= slice.length / features.size();
    }
    detail.put("teacher_input", teacherInput(teacher, convs, slice, features, prefix, repeats));
    out.put("blockwise", detail);
    return out;
  }

  /**
   * The VGG teacher in the store, else an untrained one (not stored): timing does not depend on the
   * weights.
   */
  private ModelBundle teacher() {
    String name = config.get(EdlConfig.BLOCKWISE_TEACHER_NAME);
    var stored = new ModelStore(lake).latest(name);
    if (stored.isPresent() && stored.get().meta().arch().equals(BlockwiseModels.VGG)) {
      return stored.get();
    }
    ModelMeta meta =
        ModelMeta.untrained(
            name,
            BlockwiseModels.VGG,
            0,
            IngestStage.features(lake).shape(),
            IngestStage.classes(lake));
    try (Model model = Models.create(meta, config.get(EdlConfig.SEED))) {
      return ModelBundle.ofBlock(meta, model);
    }
  }

  /**
   * Per block, milliseconds per sample spent getting the block's teacher input and target: computed
   * in the task (measured above; {@code prefix} in seconds per sample) against read back from a
   * Delta table holding them for the first {@link #STORED_ROWS} rows.
   */
  private Map<String, Object> teacherInput(
      ModelBundle teacher,
      List<ConvBlock> convs,
      float[] slice,
      Features features,
      double[] prefix,
      int repeats) {
    int stored = Math.min(STORED_ROWS, slice.length / features.size());
    writeActivations(
        teacher, convs, java.util.Arrays.copyOf(slice, stored * features.size()), features);
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < convs.size(); i++) {
      int number = convs.get(i).number();
      double[] reads = new double[repeats];
      for (int r = 0; r < repeats; r++) {
        reads[r] =
            wall(
                () -> {
                  long floats = 0;
                  for (Row row :
                      lake.read(SCRATCH)
                          .where(col("block").equalTo(number))
                          .select("input", "output")
                          .collectAsList()) {
                    floats += Features.toFloats(row.getList(0)).length;
                    floats += Features.toFloats(row.getList(1)).length;
                  }
                  if (floats == 0) {
                    throw new IllegalStateException("no activations for block " + number);
                  }
                });
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("computed_ms_per_sample", prefix[i] * 1000);
      m.put("stored_read_ms_per_sample", median(reads) / stored * 1000);
      out.put("block" + number, m);
    }
    lake.delete(SCRATCH);
    return out;
  }

  private void writeActivations(
      ModelBundle teacher, List<ConvBlock> convs, float[] slice, Features features) {
    Model model = ModelCache.get(teacher);
    List<Block> children = ((SequentialBlock) model.getBlock()).getChildren().values();
    int n = slice.length / features.size();
    StructType schema =
        new StructType()
            .add("block", DataTypes.IntegerType)
            .add("id", DataTypes.IntegerType)
            .add("input", DataTypes.createArrayType(DataTypes.FloatType, false))
            .add("output", DataTypes.createArrayType(DataTypes.FloatType, false));
    lake.delete(SCRATCH);
    try (NDManager m = model.getNDManager().newSubManager()) {
      ParameterStore store = new ParameterStore(m, false);
      NDList h = new NDList(m.create(slice, ModelBundle.batchShape(features.shape(), n)));
      int child = 0;
      for (ConvBlock c : convs) {
        for (; child < c.child(); child++) {
          h = children.get(child).forward(store, h, false);
        }
        float[] in = h.head().toFloatArray();
        h = children.get(child++).forward(store, h, false);
        float[] outs = h.head().toFloatArray();
        int inSize = in.length / n;
        int outSize = outs.length / n;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          rows.add(
              RowFactory.create(
                  c.number(), i, boxed(in, i * inSize, inSize), boxed(outs, i * outSize, outSize)));
        }
        lake.spark()
            .createDataFrame(rows, schema)
            .write()
            .format("delta")
            .mode("append")
            .option("parquet.enable.dictionary", "false")
            .partitionBy("block")
            .save(lake.path(SCRATCH));
      }
    }
  }

  private static Float[] boxed(float[] values, int from, int length) {
    Float[] out = new Float[length];
    for (int i = 0; i < length; i++) {
      out[i] = values[from + i];
    }
    return out;
  }

  private static double wall(Runnable work) {
    long t0 = System.nanoTime();
    work.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double median(List<Double> values) {
    return median(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** Markdown rows of these results, for BENCHMARKS.md. */
  @SuppressWarnings("unchecked")
  public static String markdown(Map<String, Object> r) {
    Map<String, Object> d = (Map<String, Object>) r.get("blockwise");
    if (d == null) {
      return "";
    }
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            """

            ## Parallel blockwise distillation

            Every block of `%s` trained for one epoch over %s train rows (batch %s), as Spark
            tasks with one libtorch thread each: all blocks one after another in one task, against
            the two-slot schedule (two tasks side by side).

            | ratio | value | goal | what it compares |
            |---|---:|---:|---|
            | `blockwise_speedup_2_lpt` | %.2f | >= 1.8 | sequential %.1f s / two slots, LPT schedule from profiled costs, %.1f s |
            | `blockwise_speedup_2_round_robin` | %.2f | >= 1.8 | sequential %.1f s / two slots, round-robin, %.1f s |

            Projected speedup (sum of measured per-block seconds / makespan of the schedule),
            beside the paper's measured 4-GPU speedups (VGG16 3.08x, ResNet50 3.53x, round-robin
            2.58x):

            | slots | LPT | round-robin |
            |---:|---:|---:|
            """,
            d.get("teacher"),
            d.get("rows_per_block"),
            d.get("batch_size"),
            (Double) r.get("blockwise_speedup_2_lpt"),
            (Double) d.get("sequential_s"),
            (Double) d.get("two_slots_lpt_s"),
            (Double) r.get("blockwise_speedup_2_round_robin"),
            (Double) d.get("sequential_s"),
            (Double) d.get("two_slots_round_robin_s")));
    Map<String, Map<String, Double>> projection =
        (Map<String, Map<String, Double>>) d.get("projected_speedup");
    projection.forEach(
        (slots, p) ->
            s.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %.2f | %.2f |%n",
                    slots,
                    p.get("lpt"),
                    p.get("round_robin"))));
    s.append(
        """

        Teacher input and target of each block, computed by the teacher prefix inside the task
        against read back from a Delta table of stored activations (written beforehand, not
        timed), in ms per sample, beside the block's whole training time per epoch:

        | block | training s per epoch | computed ms/sample | stored read ms/sample |
        |---|---:|---:|---:|
        """);
    Map<String, Double> blockSeconds = (Map<String, Double>) d.get("block_seconds");
    Map<String, Map<String, Double>> input =
        (Map<String, Map<String, Double>>) d.get("teacher_input");
    input.forEach(
        (block, m) ->
            s.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %.2f | %.3f | %.3f |%n",
                    block,
                    blockSeconds.get(block),
                    m.get("computed_ms_per_sample"),
                    m.get("stored_read_ms_per_sample"))));
    return s.toString();
  }
}
