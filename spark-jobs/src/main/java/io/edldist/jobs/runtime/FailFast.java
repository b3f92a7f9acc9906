package io.edldist.jobs.runtime;

import io.edldist.udfs.EdlException;
import java.util.UUID;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Fails the jobs of one stage at the first task that raised a user error ({@link EdlException}: a
 * teacher that cannot be loaded on an executor, a batch the teacher rejects), instead of after
 * {@code spark.task.maxFailures} attempts of the same deterministic failure on every executor. Lost
 * executors, killed tasks and other exceptions keep Spark's retries.
 *
 * <p>Usage: wrap the stage's jobs in {@code try (FailFast f = FailFast.watch(sc, "infer"))} and
 * pass a job failure through {@link #rethrowUserError}; the user gets the task's one-line message.
 */
public final class FailFast extends SparkListener implements AutoCloseable {
  private final SparkContext sc;
  private final String stage;
  private final String group;
  private volatile String error;

  private FailFast(SparkContext sc, String stage) {
    this.sc = sc;
    this.stage = stage;
    this.group = stage + "-" + UUID.randomUUID();
  }

  /** Puts the calling thread's following jobs in a new job group and watches their tasks. */
  public static FailFast watch(SparkContext sc, String stage) {
    FailFast f = new FailFast(sc, stage);
    sc.setJobGroup(f.group, stage, true);
    sc.addSparkListener(f);
    return f;
  }

  /**
   * Puts the calling thread's following jobs in this group too: for jobs that run on another
   * thread, such as a streaming query's batches.
   */
  public void join() {
    sc.setJobGroup(group, stage, true);
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    if (error == null
        && end.reason() instanceof ExceptionFailure failure
        && EdlException.class.getName().equals(failure.className())) {
      error = failure.description();
      sc.cancelJobGroup(group, "a task failed with: " + error);
    }
  }

  /** Throws the task's user error if one cancelled the job that failed with {@code failure}. */
  public void rethrowUserError(Exception failure) {
    String message = error;
    if (message != null) {
      throw EdlException.fromTask(message, failure);
    }
  }

  @Override
  public void close() {
    sc.removeSparkListener(this);
    sc.clearJobGroup();
  }
}
