package io.edldist.udfs.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.edldist.udfs.EdlException;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The libtorch device a task (or the driver) computes on, from the GPU Spark assigned to it and the
 * {@code infer.device} / {@code train.device} setting:
 *
 * <ul>
 *   <li>{@code auto}: the assigned GPU when this libtorch build sees CUDA; otherwise the CPU, with
 *       one warning line per JVM when a GPU was assigned but cannot be used;
 *   <li>{@code gpu}: the assigned GPU, or one clear error when none was assigned or libtorch has no
 *       CUDA;
 *   <li>{@code cpu}: the CPU.
 * </ul>
 *
 * Spark assigns GPU addresses per task ({@code spark.task.resource.gpu.amount}) and per driver
 * ({@code spark.driver.resource.gpu.amount}); an address is the CUDA device index.
 */
public final class Devices {
  /** The setting's values. */
  public static final String AUTO = "auto";

  public static final String CPU = "cpu";
  public static final String GPU = "gpu";

  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private Devices() {}

  /**
   * @param mode {@code auto}, {@code cpu} or {@code gpu}
   * @param assignedGpu the address Spark assigned, or null
   * @param where who asks, for messages ("executor 3", "the driver")
   * @param setting the setting that chose the mode, for messages
   */
  public static Device choose(String mode, String assignedGpu, String where, String setting) {
    switch (mode.toLowerCase(Locale.ROOT)) {
      case CPU:
        return Device.cpu();
      case GPU:
        if (assignedGpu == null) {
          throw EdlException.cannot(
              "run on a GPU on " + where,
              "Spark assigned no GPU to it",
              "Request one (spark.task.resource.gpu.amount for tasks, spark.driver.resource.gpu"
                  + ".amount for the driver) or set "
                  + setting
                  + "=auto");
        }
        if (!cuda()) {
          throw EdlException.cannot(
              "run on GPU " + assignedGpu + " on " + where,
              "the libtorch loaded here has no CUDA (no CUDA build shipped, or no CUDA 12.8+"
                  + " runtime on this machine)",
              "Build with mvn -B -Pcuda package and submit with a -gpu target, or set "
                  + setting
                  + "=auto");
        }
        return Device.gpu(Integer.parseInt(assignedGpu));
      case AUTO:
        if (assignedGpu == null) {
          return Device.cpu();
        }
        if (cuda()) {
          return Device.gpu(Integer.parseInt(assignedGpu));
        }
        if (WARNED.compareAndSet(false, true)) {
          System.err.println(
              "edl-dist: GPU "
                  + assignedGpu
                  + " was assigned on "
                  + where
                  + " but this libtorch build has no CUDA; computing on the CPU ("
                  + setting
                  + "=auto)");
        }
        return Device.cpu();
      default:
        throw new IllegalArgumentException("unknown device mode " + mode);
    }
  }

  /** Whether libtorch in this JVM sees a CUDA device. */
  public static boolean cuda() {
    return Engine.getEngine("PyTorch").getGpuCount() > 0;
  }
}
