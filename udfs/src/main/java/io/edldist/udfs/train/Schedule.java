package io.edldist.udfs.train;

import java.util.Locale;

/**
 * The learning-rate schedule: the factor applied to the base rate at a step. A pure function of the
 * step and the run's length, so a resumed run continues on exactly the same curve.
 */
public enum Schedule {
  /** Cosine decay from the base rate to zero over the run. */
  COSINE,
  /** The base rate throughout. */
  CONSTANT;

  public double factor(long step, long totalSteps) {
    return this == COSINE ? 0.5 * (1 + Math.cos(Math.PI * step / totalSteps)) : 1.0;
  }

  /** By its configuration name: {@code cosine} or {@code constant}. */
  public static Schedule named(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
