package io.edldist.jobs.blockwise;

import io.edldist.udfs.blockwise.BlockTask;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.ModelBundle;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The Spark jobs of blockwise distillation. The teacher and the training slice are broadcast once;
 * a schedule becomes one partition per busy slot holding that slot's blocks, so Spark runs one task
 * per slot and the static bin-packing is exactly what executes (with as many free task slots as
 * partitions, all tasks run at once). Results come back to the driver: a trained block is a few
 * kilobytes.
 */
public final class BlockJobs implements AutoCloseable {
  private final JavaSparkContext jsc;
  private final Broadcast<ModelBundle> teacher;
  private final Broadcast<float[]> samples;
  private final int[] sampleShape;

  public BlockJobs(JavaSparkContext jsc, ModelBundle teacher, float[] samples, int[] sampleShape) {
    this.jsc = jsc;
    this.teacher = jsc.broadcast(teacher);
    this.samples = jsc.broadcast(samples);
    this.sampleShape = sampleShape;
  }

  /**
   * Seconds per sample of each block, from a short run of every block one after another in one task
   * (so the blocks are timed on the same core, one at a time).
   */
  public double[] profile(List<Integer> blocks, BlockTask.Settings settings) {
    jsc.setJobDescription("blockwise: profile " + blocks.size() + " blocks");
    List<BlockTask.Trained> timed =
        jsc.<List<Integer>>parallelize(List.of(new ArrayList<>(blocks)), 1)
            .flatMap(new BlockTask(teacher, samples, sampleShape, settings))
            .collect();
    double[] costs = new double[blocks.size()];
    for (BlockTask.Trained t : timed) {
      costs[blocks.indexOf(t.block())] = t.secondsPerSample();
    }
    return costs;
  }

  /**
   * Trains {@code blocks} as the schedule says (the schedule's indexes point into {@code blocks});
   * returns them in completion order.
   */
  public List<BlockTask.Trained> train(
      List<Integer> blocks, BlockSchedule schedule, BlockTask.Settings settings) {
    List<List<Integer>> slots = new ArrayList<>();
    for (ArrayList<Integer> slot : schedule.busySlots()) {
      ArrayList<Integer> numbers = new ArrayList<>();
      slot.forEach(i -> numbers.add(blocks.get(i)));
      slots.add(numbers);
    }
    jsc.setJobDescription("blockwise: train " + blocks.size() + " blocks on " + slots.size());
    return jsc.parallelize(slots, slots.size())
        .flatMap(new BlockTask(teacher, samples, sampleShape, settings))
        .collect();
  }

  /** The rows' features, flattened in row order: the slice the blocks train on. */
  public static float[] slice(Dataset<Row> rows, Features features) {
    List<Row> all = rows.select("features").collectAsList();
    float[] out = new float[all.size() * features.size()];
    for (int i = 0; i < all.size(); i++) {
      features.copy(all.get(i), 0, out, i * features.size());
    }
    return out;
  }

  @Override
  public void close() {
    teacher.destroy();
    samples.destroy();
  }
}
