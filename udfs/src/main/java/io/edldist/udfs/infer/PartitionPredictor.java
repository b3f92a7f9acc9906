package io.edldist.udfs.infer;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import io.edldist.udfs.EdlException;
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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The teacher stage's per-partition function: scores the rows of one partition with the teacher and
 * appends its logits and id to each row.
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
 * <p>Input rows: {@code id, split, label, features}. Output rows: the same plus {@code logits
 * ARRAY<FLOAT>} and {@code teacher_id}.
 */
public final class PartitionPredictor implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  private static final int FEATURES = 3;

  private final Broadcast<ModelBundle> teacher;
  private final String source;
  private final Features features;
  private final int batchSize;
  private final int threads;

  /**
   * @param source where the teacher came from (its model-store folder), named in load errors
   */
  public PartitionPredictor(
      Broadcast<ModelBundle> teacher,
      String source,
      Features features,
      int batchSize,
      int threads) {
    if (batchSize < 1 || threads < 1) {
      throw new IllegalArgumentException("batchSize and threads must be >= 1");
    }
    this.teacher = teacher;
    this.source = source;
    this.features = features;
    this.batchSize = batchSize;
    this.threads = threads;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return rows;
    }
    ModelBundle bundle = teacher.value();
    Model model;
    try {
      TorchThreads.set(threads); // loads the engine first
      model = ModelCache.get(bundle);
    } catch (RuntimeException | LinkageError e) {
      throw EdlException.cannot(
          "load teacher "
              + bundle.meta().id()
              + " from "
              + source
              + " on executor "
              + SparkEnv.get().executorId(),
          e,
          "Check that every executor runs the job jar with DJL's PyTorch engine and native library"
              + " (pytorch-native-cpu) and has memory for the model");
    }
    Predictor<BatchTranslator.Batch, float[]> predictor = model.newPredictor(new BatchTranslator());
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener(
          (org.apache.spark.util.TaskCompletionListener) ctx -> predictor.close());
    }
    return new Scored(rows, predictor, bundle.meta().id(), bundle.meta().classes());
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
        features.copy(row, FEATURES, buffer, batch.size() * size);
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
        out.add(
            RowFactory.create(
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(FEATURES),
                CollectionConverters.asScala(sampleLogits).toSeq(),
                teacherId));
      }
      return out.iterator();
    }
  }
}
