package io.edldist.jobs.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.cluster.ExecutorInfo;
import org.junit.jupiter.api.Test;

class ExecutorTimelineTest {
  private static SparkListenerExecutorAdded added(long t, String id) {
    scala.collection.immutable.Map<String, String> logs =
        scala.collection.immutable.Map$.MODULE$.empty();
    return new SparkListenerExecutorAdded(t, id, new ExecutorInfo("127.0.0.1", 1, logs));
  }

  @Test
  void countsLiveExecutorsAtEveryChangeAndIgnoresTheDriver() {
    ExecutorTimeline timeline = new ExecutorTimeline("app-1");
    timeline.onExecutorAdded(added(10, "driver"));
    timeline.onExecutorAdded(added(20, "0"));
    timeline.onExecutorAdded(added(30, "1"));
    timeline.onExecutorRemoved(new SparkListenerExecutorRemoved(40, "0", "killed"));
    timeline.onExecutorRemoved(new SparkListenerExecutorRemoved(45, "0", "reported twice"));
    timeline.onExecutorRemoved(new SparkListenerExecutorRemoved(50, "1", "idle"));

    assertThat(timeline.take())
        .containsExactly(
            new ExecutorTimeline.Point("app-1", 20, 1),
            new ExecutorTimeline.Point("app-1", 30, 2),
            new ExecutorTimeline.Point("app-1", 40, 1),
            new ExecutorTimeline.Point("app-1", 50, 0));
    assertThat(timeline.take()).as("taken points are not handed out twice").isEmpty();
  }
}
