package io.edldist.jobs.bench;

import static org.apache.spark.sql.functions.col;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import io.edldist.jobs.blockwise.BlockJobs;
import io.edldist.jobs.blockwise.BlockSchedule;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.results.Stats;
import io.edldist.jobs.train.Models;
import io.edldist.udfs.blockwise.BlockTask;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.BlockwiseModels;
import io.edldist.udfs.model.BlockwiseModels.ConvBlock;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.ModelMeta;
import io.edldist.udfs.model.TorchThreads;
import io.edldist.udfs.train.TrainSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The blockwise part of {@code edl-dist bench}:
 *
 * <ul>
 *   <li>{@code blockwise_speedup_2_lpt} / {@code _round_robin}: every block of the VGG teacher
 *       trained for one epoch one after another in one task (one slot, {@code spark.task.cpus}
 *       libtorch threads) against the two-slot schedule of that policy (two tasks side by side).
 *       The three runs of a repetition alternate their order; each ratio is the median of the
 *       per-repetition ratios. Beside each, its ceiling: the sum of the block seconds measured in
 *       the sequential runs over the makespan of the schedule with those seconds. The teacher's
 *       weights do not change the work: the stored VGG teacher is used when present, an untrained
 *       one otherwise.
 *   <li>Sizing: a two-slot job that trains every block for one batch measures launch and setup; the
 *       rows per block grow from {@code blockwise.bench-rows} until that stays under 5% of a
 *       two-slot run.
 *   <li>A projection for 4, 8 and 16 slots from the same block seconds.
 *   <li>Teacher input of a block, computed (the teacher's prefix forward pass, as the block task
 *       does) against read back from a Delta table of stored activations written beforehand: both
 *       on the driver, over the same rows, warmed up, alternating, medians.
 * </ul>
 */
final class BlockwiseBench {
  private static final int[] PROJECTED_SLOTS = {4, 8, 16};
  private static final double FIXED_SHARE = 0.05;
  private static final int STORED_ROWS = 512;

  private final Lake lake;
  private final EdlConfig config;

  BlockwiseBench(Lake lake, EdlConfig config) {
    this.lake = lake;
    this.config = config;
  }

  BenchResult.Blockwise measure(int repeats) {
    ModelBundle teacher = teacher();
    Features features = SamplesMeta.of(lake).features();
    List<ConvBlock> convs = BlockwiseModels.replaceableBlocks(teacher.meta());
    List<Integer> blocks = convs.stream().map(ConvBlock::number).toList();
    Dataset<Row> train = lake.read(Lake.SAMPLES).where(col("split").equalTo("train"));
    int threads = Integer.parseInt(lake.spark().conf().get("spark.task.cpus", "1"));
    TrainSettings epoch =
        TrainSettings.builder()
            .setLabel("bench block")
            .setEpochs(1)
            .setBatchSize(config.get(EdlConfig.BLOCKWISE_BATCH_SIZE))
            .setLearningRate(config.get(EdlConfig.BLOCKWISE_LEARNING_RATE))
            .optSeed(config.get(EdlConfig.SEED))
            .build();
    BlockTask.Settings full = new BlockTask.Settings(epoch, threads, "bench-block");
    BlockTask.Settings oneBatch =
        new BlockTask.Settings(epoch.withMaxSteps(1), threads, "bench-block");
    BlockTask.Settings profile =
        new BlockTask.Settings(
            epoch.withMaxSteps(config.get(EdlConfig.BLOCKWISE_PROFILE_BATCHES) + 1),
            threads,
            "bench-profile");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(lake.spark().sparkContext());

    long rows = config.get(EdlConfig.BLOCKWISE_BENCH_ROWS);
    double fixed;
    try (BlockJobs jobs = jobs(jsc, teacher, train, features, rows)) {
      BlockSchedule two = BlockSchedule.lpt(jobs.profile(blocks, profile), 2);
      wall(() -> jobs.train(blocks, two, oneBatch));
      fixed = wall(() -> jobs.train(blocks, two, oneBatch));
      double run = wall(() -> jobs.train(blocks, two, full));
      double perRow = Math.max(1e-9, (run - fixed) / rows);
      long needed = (long) Math.ceil(fixed / FIXED_SHARE / perRow);
      rows = Math.min(train.count(), Math.max(rows, needed));
    }
    System.err.printf(
        Locale.ROOT,
        "bench: a two-slot block job costs %.2f s before its rows; %,d rows per block keep that"
            + " under 5%%%n",
        fixed,
        rows);

    List<Double> sequential = new ArrayList<>();
    List<Double> lpt = new ArrayList<>();
    List<Double> roundRobin = new ArrayList<>();
    double[][] blockSeconds = new double[blocks.size()][repeats];
    try (BlockJobs jobs = jobs(jsc, teacher, train, features, rows)) {
      double[] profiled = jobs.profile(blocks, profile);
      BlockSchedule one = BlockSchedule.lpt(profiled, 1);
      BlockSchedule twoLpt = BlockSchedule.lpt(profiled, 2);
      BlockSchedule twoRr = BlockSchedule.roundRobin(profiled, 2);
      for (int r = -Pairs.WARMUP; r < repeats; r++) {
        int rep = r;
        Runnable seq =
            () -> {
              long t0 = System.nanoTime();
              List<BlockTask.Trained> done = jobs.train(blocks, one, full);
              double s = Pairs.seconds(t0);
              if (rep >= 0) {
                sequential.add(s);
                for (BlockTask.Trained t : done) {
                  blockSeconds[blocks.indexOf(t.block())][rep] = t.seconds();
                }
              }
            };
        Runnable twoL = () -> add(lpt, rep, wall(() -> jobs.train(blocks, twoLpt, full)));
        Runnable twoR = () -> add(roundRobin, rep, wall(() -> jobs.train(blocks, twoRr, full)));
        List<Runnable> order =
            Math.floorMod(r, 2) == 0 ? List.of(seq, twoL, twoR) : List.of(twoR, twoL, seq);
        order.forEach(Runnable::run);
        if (rep >= 0) {
          System.err.printf(
              Locale.ROOT,
              "bench: blockwise %d/%d: sequential %.2f s, two slots lpt %.2f s, round-robin %.2f"
                  + " s%n",
              rep + 1,
              repeats,
              sequential.get(rep),
              lpt.get(rep),
              roundRobin.get(rep));
        }
      }
    }
    double[] costs = new double[blocks.size()];
    Map<String, Double> perBlock = new LinkedHashMap<>();
    for (int i = 0; i < costs.length; i++) {
      costs[i] = Stats.median(Arrays.stream(blockSeconds[i]).boxed().toList());
      perBlock.put("block" + blocks.get(i), costs[i]);
    }
    Map<String, Map<String, Double>> projected = new LinkedHashMap<>();
    for (int slots : PROJECTED_SLOTS) {
      projected.put(
          Integer.toString(slots),
          Map.of(
              "lpt", BlockSchedule.lpt(costs, slots).projectedSpeedup(),
              "round_robin", BlockSchedule.roundRobin(costs, slots).projectedSpeedup()));
    }
    return new BenchResult.Blockwise(
        teacher.meta().id(),
        rows,
        config.get(EdlConfig.BLOCKWISE_BATCH_SIZE),
        fixed,
        sequential,
        lpt,
        roundRobin,
        ratios(sequential, lpt),
        ratios(sequential, roundRobin),
        perBlock,
        BlockSchedule.lpt(costs, 2).projectedSpeedup(),
        BlockSchedule.roundRobin(costs, 2).projectedSpeedup(),
        projected,
        teacherInput(teacher, convs, train, features, repeats));
  }

  private BlockJobs jobs(
      JavaSparkContext jsc, ModelBundle teacher, Dataset<Row> train, Features f, long rows) {
    return new BlockJobs(
        jsc, teacher, BlockJobs.slice(train.orderBy("id").limit((int) rows), f), f.shape());
  }

  private static void add(List<Double> to, int rep, double value) {
    if (rep >= 0) {
      to.add(value);
    }
  }

  private static List<Double> ratios(List<Double> num, List<Double> den) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < num.size(); i++) {
      out.add(num.get(i) / den.get(i));
    }
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
    SamplesMeta samples = SamplesMeta.of(lake);
    ModelMeta meta =
        ModelMeta.untrained(
            name, BlockwiseModels.VGG, 0, samples.features().shape(), samples.classes());
    try (Model model = Models.create(meta, config.get(EdlConfig.SEED))) {
      return ModelBundle.ofBlock(meta, model);
    }
  }

  /**
   * Per block, the time to get the teacher input and target of {@link #STORED_ROWS} rows: computed
   * by the teacher's prefix in batches, as the block task does, against read back (and decoded)
   * from a Delta table holding them. Both on the driver with the task's libtorch threads.
   */
  private Map<String, BenchResult.TeacherInput> teacherInput(
      ModelBundle teacher,
      List<ConvBlock> convs,
      Dataset<Row> train,
      Features features,
      int repeats) {
    float[] slice = BlockJobs.slice(train.orderBy("id").limit(STORED_ROWS), features);
    int n = slice.length / features.size();
    TorchThreads.set(Integer.parseInt(lake.spark().conf().get("spark.task.cpus", "1")));
    Map<String, BenchResult.TeacherInput> out = new LinkedHashMap<>();
    Path dir = null;
    try {
      dir = Files.createTempDirectory("edl-dist-bench-activations");
      String table = dir.resolve("activations").toString();
      writeActivations(teacher, convs, slice, features, table);
      int batch = config.get(EdlConfig.BLOCKWISE_BATCH_SIZE);
      for (ConvBlock c : convs) {
        Pairs.Seconds s =
            Pairs.measure(
                "teacher input of " + c.name() + ": stored / computed",
                repeats,
                warmup -> readActivations(table, c.number()),
                warmup -> wall(() -> prefix(teacher, c, slice, features, batch)));
        double empty = readActivations(table, -1);
        double stored = Stats.median(s.a());
        out.put(
            c.name(),
            new BenchResult.TeacherInput(
                n, Stats.median(s.b()) / n * 1000, stored / n * 1000, empty / stored));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (dir != null) {
        try {
          LocalFiles.deleteTree(dir);
        } catch (IOException e) {
          System.err.println("bench: could not delete " + dir + ": " + e.getMessage());
        }
      }
    }
    return out;
  }

  /** Runs the teacher's prefix and the block over the rows in batches, as a block task does. */
  private static void prefix(
      ModelBundle teacher, ConvBlock block, float[] slice, Features features, int batch) {
    Model model = ModelCache.get(teacher);
    List<Block> children = ((SequentialBlock) model.getBlock()).getChildren().values();
    int size = features.size();
    int rows = slice.length / size;
    try (NDManager m = model.getNDManager().newSubManager()) {
      ParameterStore store = new ParameterStore(m, false);
      for (int from = 0; from < rows; from += batch) {
        int n = Math.min(batch, rows - from);
        try (NDManager step = m.newSubManager()) {
          float[] x = Arrays.copyOfRange(slice, from * size, (from + n) * size);
          NDList h = new NDList(step.create(x, ModelBundle.batchShape(features.shape(), n)));
          for (int c = 0; c < block.child(); c++) {
            h = children.get(c).forward(store, h, false);
          }
          float[] in = h.head().toFloatArray();
          float[] target =
              children.get(block.child()).forward(store, h, false).head().toFloatArray();
          if (in.length == 0 || target.length == 0) {
            throw new IllegalStateException("empty activations for " + block.name());
          }
        }
      }
    }
  }

  /** Seconds to read and decode the stored input and output of a block's rows. */
  private double readActivations(String table, int block) {
    long t0 = System.nanoTime();
    long floats = 0;
    var it =
        lake.spark()
            .read()
            .format("delta")
            .load(table)
            .where(col("block").equalTo(block))
            .select("input", "output")
            .toLocalIterator();
    while (it.hasNext()) {
      Row row = it.next();
      floats += Features.toFloats(row.getList(0)).length + Features.toFloats(row.getList(1)).length;
    }
    if (block >= 0 && floats == 0) {
      throw new IllegalStateException("no activations for block " + block);
    }
    return Pairs.seconds(t0);
  }

  private void writeActivations(
      ModelBundle teacher, List<ConvBlock> convs, float[] slice, Features features, String table) {
    Model model = ModelCache.get(teacher);
    List<Block> children = ((SequentialBlock) model.getBlock()).getChildren().values();
    int n = slice.length / features.size();
    StructType schema =
        new StructType()
            .add("block", DataTypes.IntegerType)
            .add("id", DataTypes.IntegerType)
            .add("input", DataTypes.createArrayType(DataTypes.FloatType, false))
            .add("output", DataTypes.createArrayType(DataTypes.FloatType, false));
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
        for (int from = 0; from < n; from += 64) {
          List<Row> rows = new ArrayList<>();
          for (int i = from; i < Math.min(n, from + 64); i++) {
            rows.add(
                RowFactory.create(
                    c.number(),
                    i,
                    boxed(in, i * inSize, inSize),
                    boxed(outs, i * outSize, outSize)));
          }
          lake.spark()
              .createDataFrame(rows, schema)
              .write()
              .format("delta")
              .mode("append")
              .partitionBy("block")
              .save(table);
        }
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
    return Pairs.seconds(t0);
  }
}
