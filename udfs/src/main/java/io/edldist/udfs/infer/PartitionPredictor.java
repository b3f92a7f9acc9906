package io.edldist.udfs.infer;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.model.Devices;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.TorchThreads;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.CollectionAccumulator;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The teacher stage's per-partition function: scores the rows of one partition with the teacher and
 * returns each row's id, split and label with its logits and the teacher's id.
 *
 * <p>The teacher reaches executors as a broadcast {@link ModelBundle} and is loaded once per JVM
 * ({@link ModelCache}); each task opens one predictor, closed by a task-completion listener, so
 * tasks running side by side share the weights but never a predictor. Rows are scored in batches of
 * {@code batchSize} (one tensor per batch), lazily: a partition is streamed, never held. Each task
 * sets libtorch's intra-op threads to {@code threads} ({@code spark.task.cpus}), so concurrent
 * tasks do not oversubscribe the cores. A teacher that cannot be loaded raises an {@link
 * EdlException} naming its source, which the driver turns into an immediate job failure instead of
 * retries.
 *
 * <p>Each task computes on the device {@link Devices} picks from the GPU Spark assigned to it
 * ({@code spark.task.resource.gpu.amount}) and {@code infer.device}, and reports the assignment
 * (partition and address, -1 for none) to an accumulator the driver records in {@code metrics}.
 *
 * <p>Input rows: {@code id, split, label, features}. Output rows: {@code id, split, label, logits
 * ARRAY<FLOAT>, teacher_id} (the features stay in {@code samples}). With {@link
 * Builder#optAppendLogits}, as the ML transformer uses it: any rows, features read from the column
 * given, output rows are the input rows with their logits appended. Built with {@link #builder}.
 */
public final class PartitionPredictor implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  private static final int SAMPLES_FEATURES = 3;

  private final Broadcast<ModelBundle> teacher;
  private final String source;
  private final Features features;
  private final int featuresColumn;
  private final boolean appendLogits;
  private final int batchSize;
  private final int threads;
  private final String device;
  private final CollectionAccumulator<String> assignments;

  private PartitionPredictor(Builder b) {
    if (b.batchSize < 1 || b.threads < 1 || b.features == null) {
      throw new IllegalArgumentException("features, batchSize >= 1 and threads >= 1 are needed");
    }
    this.teacher = b.teacher;
    this.source = b.source;
    this.features = b.features;
    this.featuresColumn = b.rowFeaturesColumn < 0 ? SAMPLES_FEATURES : b.rowFeaturesColumn;
    this.appendLogits = b.rowFeaturesColumn >= 0;
    this.batchSize = b.batchSize;
    this.threads = b.threads;
    this.device = b.device;
    this.assignments = b.assignments;
  }

  /** A predictor of the broadcast teacher; features and batch size must be set. */
  public static Builder builder(Broadcast<ModelBundle> teacher) {
    return new Builder(teacher);
  }

  /** Builds a {@link PartitionPredictor}. */
  public static final class Builder {
    private final Broadcast<ModelBundle> teacher;
    private String source = "the driver's broadcast";
    private Features features;
    private int rowFeaturesColumn = -1;
    private int batchSize;
    private int threads = 1;
    private String device = Devices.AUTO;
    private CollectionAccumulator<String> assignments;

    private Builder(Broadcast<ModelBundle> teacher) {
      this.teacher = teacher;
    }

    public Builder setFeatures(Features value) {
      features = value;
      return this;
    }

    public Builder setBatchSize(int value) {
      batchSize = value;
      return this;
    }

    /**
     * Scores rows of any shape, features read from column {@code featuresColumn}, and returns each
     * row with its logits appended as a last column (instead of soft-label rows from {@code id,
     * split, label, features}).
     */
    public Builder optAppendLogits(int featuresColumn) {
      rowFeaturesColumn = featuresColumn;
      return this;
    }

    /** Where the teacher came from (its model-store folder), named in load errors. */
    public Builder optSource(String value) {
      source = value;
      return this;
    }

    /** libtorch intra-op threads per task (default 1; {@code spark.task.cpus}). */
    public Builder optThreads(int value) {
      threads = value;
      return this;
    }

    /** {@code auto} (default), {@code cpu} or {@code gpu}: see {@link Devices}. */
    public Builder optDevice(String value) {
      device = value;
      return this;
    }

    /** Receives {@code partition:address} (address -1 for none) from every task. */
    public Builder optAssignments(CollectionAccumulator<String> value) {
      assignments = value;
      return this;
    }

    public PartitionPredictor build() {
      return new PartitionPredictor(this);
    }
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return rows;
    }
    ModelBundle bundle = teacher.value();
    TaskContext task = TaskContext.get();
    String gpu = assignedGpu(task);
    if (assignments != null && task != null) {
      assignments.add(task.partitionId() + ":" + (gpu == null ? "-1" : gpu));
    }
    String executor = "executor " + (SparkEnv.get() == null ? "?" : SparkEnv.get().executorId());
    Model model;
    try {
      TorchThreads.set(threads); // loads the engine first
      model = ModelCache.get(bundle, Devices.choose(device, gpu, executor, "infer.device"));
    } catch (EdlException e) {
      throw e;
    } catch (RuntimeException | LinkageError e) {
      throw EdlException.cannot(
          "load teacher " + bundle.meta().id() + " from " + source + " on " + executor,
          e,
          "Check that every executor runs the job jar with DJL's PyTorch engine and native library"
              + " (pytorch-native-cpu) and has memory for the model");
    }
    Predictor<BatchTranslator.Batch, float[]> predictor = model.newPredictor(new BatchTranslator());
    if (task != null) {
      task.addTaskCompletionListener(
          (org.apache.spark.util.TaskCompletionListener) ctx -> predictor.close());
    }
    return new Scored(rows, predictor, bundle.meta().id(), bundle.meta().classes());
  }

  /** The GPU address Spark assigned to the task, or null. */
  private static String assignedGpu(TaskContext task) {
    if (task == null) {
      return null;
    }
    ResourceInformation gpu = task.resources().get("gpu").getOrElse(() -> null);
    return gpu == null || gpu.addresses().length == 0 ? null : gpu.addresses()[0];
  }

  /** Pulls a batch from the input, scores it, hands the rows out one by one. */
  private final class Scored implements Iterator<Row> {
    private final Iterator<Row> input;
    private final Predictor<BatchTranslator.Batch, float[]> predictor;
    private final String teacherId;
    private final int classes;
    private final long[] sampleShape;
    private final float[] buffer;
    private final List<Row> batch = new ArrayList<>(batchSize);
    private Iterator<Row> ready = java.util.Collections.emptyIterator();

    Scored(
        Iterator<Row> input,
        Predictor<BatchTranslator.Batch, float[]> predictor,
        String teacherId,
        int classes) {
      this.input = input;
      this.predictor = predictor;
      this.teacherId = teacherId;
      this.classes = classes;
      this.sampleShape = features.longShape();
      this.buffer = new float[batchSize * features.size()];
    }

    @Override
    public boolean hasNext() {
      if (!ready.hasNext() && input.hasNext()) {
        ready = scoreNextBatch();
      }
      return ready.hasNext();
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.next();
    }

    private Iterator<Row> scoreNextBatch() {
      batch.clear();
      int size = features.size();
      while (batch.size() < batchSize && input.hasNext()) {
        Row row = input.next();
        features.copy(row, featuresColumn, buffer, batch.size() * size);
        batch.add(row);
      }
      float[] logits;
      try {
        logits = predictor.predict(new BatchTranslator.Batch(buffer, batch.size(), sampleShape));
      } catch (TranslateException e) {
        throw EdlException.cannot(
            "score a batch with teacher " + teacherId,
            e,
            "Check that the teacher takes input of shape " + features + " per sample");
      }
      if (logits.length != batch.size() * classes) {
        throw EdlException.invalid(
            "teacher " + teacherId,
            "it returned "
                + logits.length
                + " values for "
                + batch.size()
                + " samples, expected "
                + classes
                + " logits per sample",
            "Check the teacher's number of classes");
      }
      List<Row> out = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        Row r = batch.get(i);
        List<Float> sampleLogits = new ArrayList<>(classes);
        for (int c = 0; c < classes; c++) {
          sampleLogits.add(logits[i * classes + c]);
        }
        Object scored = CollectionConverters.asScala(sampleLogits).toSeq();
        out.add(
            appendLogits
                ? RowFactory.create(appended(r, scored))
                : RowFactory.create(r.get(0), r.get(1), r.get(2), scored, teacherId));
      }
      return out.iterator();
    }
  }

  private static Object[] appended(Row row, Object value) {
    Object[] values = new Object[row.length() + 1];
    for (int i = 0; i < row.length(); i++) {
      values[i] = row.get(i);
    }
    values[row.length()] = value;
    return values;
  }
}
