package io.edldist.jobs.runtime;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;

/**
 * Records how many executors the application holds over time: a point at every executor added or
 * removed (dynamic allocation growing or shrinking the teacher pool, an executor lost). The points
 * wait here until the next {@code Metrics.flush}, which writes them to the {@code metrics} table as
 * stage {@code executors} with the application id as the name (several applications may share a
 * lake and a run); the report draws them as a timeline.
 */
public final class ExecutorTimeline extends SparkListener {
  /** The stage and metric name of the points in {@code metrics}. */
  public static final String STAGE = "executors";

  /** The executor count of application {@code appId} from {@code epochMillis} on. */
  public record Point(String appId, long epochMillis, int executors) {}

  private static ExecutorTimeline installed;
  private static SparkContext installedOn;

  private final String appId;
  private final Set<String> live = new HashSet<>();
  private final List<Point> pending = new ArrayList<>();

  ExecutorTimeline(String appId) {
    this.appId = appId;
  }

  /** Starts recording for this Spark context, once; a new context replaces the old recorder. */
  public static synchronized void install(SparkContext sc) {
    if (installedOn == sc) {
      return;
    }
    installed = new ExecutorTimeline(sc.applicationId());
    installedOn = sc;
    sc.addSparkListener(installed);
    installed.record(System.currentTimeMillis());
  }

  /** The points recorded since the last call, oldest first. */
  public static synchronized List<Point> drain() {
    if (installed == null) {
      return List.of();
    }
    return installed.take();
  }

  @Override
  public void onExecutorAdded(SparkListenerExecutorAdded e) {
    synchronized (ExecutorTimeline.class) {
      if (!"driver".equals(e.executorId()) && live.add(e.executorId())) {
        record(e.time());
      }
    }
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
    synchronized (ExecutorTimeline.class) {
      if (live.remove(e.executorId())) {
        record(e.time());
      }
    }
  }

  private void record(long epochMillis) {
    pending.add(new Point(appId, epochMillis, live.size()));
  }

  List<Point> take() {
    List<Point> out = new ArrayList<>(pending);
    pending.clear();
    return out;
  }
}
