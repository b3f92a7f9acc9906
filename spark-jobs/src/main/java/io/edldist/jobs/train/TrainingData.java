package io.edldist.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import io.edldist.udfs.infer.Features;
import io.edldist.udfs.train.TrainLoop;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.storage.StorageLevel;

/**
 * Training rows ({@code id, label, features[, logits]}) served as batches, in an order that is a
 * pure function of the seed and the epoch: rows are sorted by {@code xxhash64(id, seed + epoch)}
 * (Spark's hash, computed the same way in Java). So a resumed run sees exactly the batches the
 * interrupted one would have seen, and the in-memory and streaming paths see the same batches.
 *
 * <ul>
 *   <li>{@link #inMemory}: the table is collected once to the driver (features kept as bytes for
 *       uint8 images) and each epoch is a sort of row indices: the fast path.
 *   <li>{@link #streaming}: each epoch sorts the table by the same key on the executors and streams
 *       it to the driver one partition at a time ({@code toLocalIterator}); driver memory holds one
 *       partition, so the table need not fit.
 * </ul>
 *
 * <p>Callers pass a dataset pinned to one table version ({@code Lake.readPinned}), so every epoch
 * reads the same rows. Other sources (the benchmark's online distillation) subclass it.
 */
public abstract class TrainingData implements TrainLoop.Batches<TrainingData.Batch>, AutoCloseable {
  /** One batch: n samples, features flattened, labels, and teacher logits when present. */
  public record Batch(int n, float[] x, int[] labels, float[] logits) {}

  protected final Features features;
  protected final int classes;
  protected final boolean withLogits;
  protected final long seed;

  protected TrainingData(Features features, int classes, boolean withLogits, long seed) {
    this.features = features;
    this.classes = classes;
    this.withLogits = withLogits;
    this.seed = seed;
  }

  public Features features() {
    return features;
  }

  public int classes() {
    return classes;
  }

  /** Whether batches carry teacher logits. */
  public boolean withLogits() {
    return withLogits;
  }

  public long seed() {
    return seed;
  }

  static long orderKey(long id, long seed, int epoch) {
    return XXH64.hashLong(seed + epoch, XXH64.hashLong(id, 42));
  }

  /** Releases what the data keeps on the executors (the streaming path's joined rows). */
  @Override
  public void close() {}

  public static TrainingData inMemory(
      Dataset<Row> rows, Features features, int classes, boolean withLogits, long seed) {
    return new InMemory(rows, features, classes, withLogits, seed);
  }

  public static TrainingData streaming(
      Dataset<Row> rows, Features features, int classes, boolean withLogits, long seed) {
    return new Streaming(rows, features, classes, withLogits, seed);
  }

  /** Columns read: id, label, features and, with logits, logits. */
  static Dataset<Row> project(Dataset<Row> rows, boolean withLogits) {
    return withLogits
        ? rows.select("id", "label", "features", "logits")
        : rows.select("id", "label", "features");
  }

  /** Fills a batch from rows in order. */
  final class Builder {
    private final int batchSize;
    private final int size = features.size();
    private float[] x;
    private int[] labels;
    private float[] logits;
    private int n;

    Builder(int batchSize) {
      this.batchSize = batchSize;
      reset();
    }

    private void reset() {
      x = new float[batchSize * size];
      labels = new int[batchSize];
      logits = withLogits ? new float[batchSize * classes] : null;
      n = 0;
    }

    boolean full() {
      return n == batchSize;
    }

    boolean empty() {
      return n == 0;
    }

    void add(Object feature, int label, List<?> rowLogits, float[] arrayLogits) {
      if (feature instanceof byte[] pixels) {
        Features.copyUint8(pixels, x, n * size);
      } else {
        float[] f = (float[]) feature;
        System.arraycopy(f, 0, x, n * size, size);
      }
      labels[n] = label;
      if (withLogits) {
        if (arrayLogits != null) {
          System.arraycopy(arrayLogits, 0, logits, n * classes, classes);
        } else {
          for (int c = 0; c < classes; c++) {
            logits[n * classes + c] = ((Number) rowLogits.get(c)).floatValue();
          }
        }
      }
      n++;
    }

    Batch take() {
      Batch b =
          n == batchSize
              ? new Batch(n, x, labels, logits)
              : new Batch(
                  n,
                  Arrays.copyOf(x, n * size),
                  Arrays.copyOf(labels, n),
                  logits == null ? null : Arrays.copyOf(logits, n * classes));
      reset();
      return b;
    }
  }

  static Object featureOf(Row row, Features features) {
    if (Features.UINT8.equals(features.type())) {
      return row.get(2);
    }
    return Features.toFloats(row.getList(2));
  }

  private static final class InMemory extends TrainingData {
    private final long[] ids;
    private final int[] labels;
    private final Object[] x;
    private final float[][] logits;

    InMemory(Dataset<Row> rows, Features features, int classes, boolean withLogits, long seed) {
      super(features, classes, withLogits, seed);
      Dataset<Row> projected = project(rows, withLogits);
      int n = Math.toIntExact(projected.count());
      ids = new long[n];
      labels = new int[n];
      x = new Object[n];
      logits = withLogits ? new float[n][] : null;
      Iterator<Row> it = projected.toLocalIterator();
      int i = 0;
      for (; i < n && it.hasNext(); i++) {
        Row r = it.next();
        ids[i] = r.getLong(0);
        labels[i] = r.getInt(1);
        x[i] = featureOf(r, features);
        if (withLogits) {
          logits[i] = Features.toFloats(r.getList(3));
        }
      }
      if (i != n || it.hasNext()) {
        throw new IllegalStateException(
            "the table changed while it was read; read a pinned version");
      }
    }

    @Override
    public long rows() {
      return ids.length;
    }

    @Override
    public Iterator<Batch> epoch(int epoch, int batchSize, long skip) {
      long[][] keyed = new long[ids.length][];
      for (int i = 0; i < ids.length; i++) {
        keyed[i] = new long[] {orderKey(ids[i], seed, epoch), ids[i], i};
      }
      Arrays.sort(
          keyed, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
      int start = (int) Math.min(ids.length, skip * batchSize);
      return new Iterator<>() {
        private int next = start;

        @Override
        public boolean hasNext() {
          return next < keyed.length;
        }

        @Override
        public Batch next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          Builder b = new Builder(Math.min(batchSize, keyed.length - next));
          while (!b.full()) {
            int i = (int) keyed[next++][2];
            b.add(x[i], labels[i], null, withLogits ? logits[i] : null);
          }
          return b.take();
        }
      };
    }
  }

  private static final class Streaming extends TrainingData {
    private final Dataset<Row> rows;
    private final long size;

    Streaming(Dataset<Row> rows, Features features, int classes, boolean withLogits, long seed) {
      super(features, classes, withLogits, seed);
      // With logits, rows are a join of samples and soft_labels: joined once, kept on the
      // executors' disks, so that each epoch shuffles the joined rows instead of joining again.
      Dataset<Row> projected = project(rows, withLogits);
      this.rows = withLogits ? projected.persist(StorageLevel.DISK_ONLY()) : projected;
      this.size = this.rows.count();
    }

    @Override
    public void close() {
      rows.unpersist();
    }

    @Override
    public long rows() {
      return size;
    }

    @Override
    public Iterator<Batch> epoch(int epoch, int batchSize, long skip) {
      Iterator<Row> it =
          rows.withColumn("_k", xxhash64(col("id"), lit(seed + epoch)))
              .orderBy(col("_k"), col("id"))
              .drop("_k")
              .toLocalIterator();
      for (long i = 0; i < skip * batchSize && it.hasNext(); i++) {
        it.next();
      }
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public Batch next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          Builder b = new Builder(batchSize);
          while (!b.full() && it.hasNext()) {
            Row r = it.next();
            b.add(featureOf(r, features), r.getInt(1), withLogits ? r.getList(3) : null, null);
          }
          return b.take();
        }
      };
    }
  }
}
