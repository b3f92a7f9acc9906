package io.edldist.udfs.train;

import java.io.Serializable;

/**
 * How a model is trained: epochs, batch size, Adam's base learning rate and its schedule, the seed
 * of the weights and of the data order, and optionally a cap on the steps. Built in DJL's style:
 * {@code setX} for what must be given, {@code optX} for what has a default.
 *
 * <pre>{@code
 * TrainSettings.builder().setLabel("train kd").setEpochs(20).setBatchSize(128)
 *     .setLearningRate(0.001).optSchedule(Schedule.COSINE).optSeed(42).build();
 * }</pre>
 *
 * @param label the name progress lines and errors use
 * @param maxSteps stop after this many steps (a profiling run); null for the whole run
 */
public record TrainSettings(
    String label,
    int epochs,
    int batchSize,
    double learningRate,
    Schedule schedule,
    long seed,
    Long maxSteps)
    implements Serializable {

  public TrainSettings {
    if (epochs < 1 || batchSize < 1) {
      throw new IllegalArgumentException("epochs and batch size must be >= 1");
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A copy that stops after {@code steps} steps. */
  public TrainSettings withMaxSteps(long steps) {
    return new TrainSettings(label, epochs, batchSize, learningRate, schedule, seed, steps);
  }

  /** A copy with another number of epochs. */
  public TrainSettings withEpochs(int value) {
    return new TrainSettings(label, value, batchSize, learningRate, schedule, seed, maxSteps);
  }

  /** Builds {@link TrainSettings}; epochs, batch size and learning rate have no default. */
  public static final class Builder {
    private String label = "train";
    private int epochs;
    private int batchSize;
    private double learningRate;
    private Schedule schedule = Schedule.COSINE;
    private long seed = 42;
    private Long maxSteps;

    private Builder() {}

    public Builder setLabel(String value) {
      label = value;
      return this;
    }

    public Builder setEpochs(int value) {
      epochs = value;
      return this;
    }

    public Builder setBatchSize(int value) {
      batchSize = value;
      return this;
    }

    public Builder setLearningRate(double value) {
      learningRate = value;
      return this;
    }

    /** Default {@link Schedule#COSINE}. */
    public Builder optSchedule(Schedule value) {
      schedule = value;
      return this;
    }

    /** Default 42. */
    public Builder optSeed(long value) {
      seed = value;
      return this;
    }

    /** Default: no cap, the whole run. */
    public Builder optMaxSteps(long value) {
      maxSteps = value;
      return this;
    }

    public TrainSettings build() {
      return new TrainSettings(label, epochs, batchSize, learningRate, schedule, seed, maxSteps);
    }
  }
}
