package io.edldist.jobs.bench;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import io.edldist.jobs.train.TrainingData;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.BatchTranslator;
import java.util.Iterator;

/**
 * Online distillation, the baseline the offline pipeline is measured against: plain training rows
 * whose batches get their teacher logits from the teacher's forward pass inside the training loop,
 * batch by batch, as EDL-Dist's online mode does. The student's loop is unchanged.
 */
final class OnlineDistillation extends TrainingData {
  private final TrainingData rows;
  private final Predictor<BatchTranslator.Batch, float[]> teacher;

  OnlineDistillation(TrainingData rows, Predictor<BatchTranslator.Batch, float[]> teacher) {
    super(rows.features(), rows.classes(), true, rows.seed());
    this.rows = rows;
    this.teacher = teacher;
  }

  @Override
  public long rows() {
    return rows.rows();
  }

  @Override
  public Iterator<Batch> epoch(int epoch, int batchSize, long skip) {
    Iterator<Batch> plain = rows.epoch(epoch, batchSize, skip);
    long[] shape = features().longShape();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return plain.hasNext();
      }

      @Override
      public Batch next() {
        Batch b = plain.next();
        try {
          float[] logits = teacher.predict(new BatchTranslator.Batch(b.x(), b.n(), shape));
          return new Batch(b.n(), b.x(), b.labels(), logits);
        } catch (TranslateException e) {
          throw EdlException.cannot("run the teacher inside the training loop", e, "See --verbose");
        }
      }
    };
  }
}
