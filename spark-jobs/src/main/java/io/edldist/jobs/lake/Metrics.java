package io.edldist.jobs.lake;

import io.edldist.jobs.runtime.ExecutorTimeline;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Collects metric points of one run and stage and appends them to the {@code metrics} table in one
 * Delta commit ({@code run_id, stage, name, value, step, ts}). Everything a report or a notebook
 * plots goes through here.
 */
public final class Metrics {
  public static final StructType SCHEMA =
      new StructType()
          .add("run_id", DataTypes.StringType, false)
          .add("stage", DataTypes.StringType, false)
          .add("name", DataTypes.StringType, false)
          .add("value", DataTypes.DoubleType, false)
          .add("step", DataTypes.LongType, false)
          .add("ts", DataTypes.TimestampType, false);

  private final String runId;
  private final String stage;
  private final List<Row> rows = new ArrayList<>();

  public Metrics(String runId, String stage) {
    this.runId = runId;
    this.stage = stage;
  }

  public synchronized void add(String name, double value, long step) {
    rows.add(
        RowFactory.create(
            runId, stage, name, value, step, new Timestamp(System.currentTimeMillis())));
  }

  public void add(String name, double value) {
    add(name, value, 0);
  }

  /** Appends the points and, with them, the executor counts recorded since the last flush. */
  public synchronized void flush(Lake lake) {
    for (ExecutorTimeline.Point p : ExecutorTimeline.drain()) {
      rows.add(
          RowFactory.create(
              runId,
              ExecutorTimeline.STAGE,
              p.appId(),
              (double) p.executors(),
              p.epochMillis(),
              new Timestamp(p.epochMillis())));
    }
    if (rows.isEmpty()) {
      return;
    }
    lake.spark()
        .createDataFrame(new ArrayList<>(rows), SCHEMA)
        .coalesce(1)
        .write()
        .format("delta")
        .mode("append")
        .save(lake.path(Lake.METRICS));
    rows.clear();
  }
}
