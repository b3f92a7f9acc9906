package io.edldist.jobs.cluster;

import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts a Java main class in a JVM of its own with this JVM's classpath and Spark's module flags,
 * output appended to a log file: the standalone cluster's Master and Workers, and the chaos run's
 * drivers (which it kills). Optionally pinned to one CPU with {@code taskset}, which execs the JVM,
 * so the pid stays the JVM's and its children (a Worker's executors) inherit the CPU.
 */
public final class JvmProcess {
  private final String mainClass;
  private final List<String> args = new ArrayList<>();
  private final Map<String, String> env = new LinkedHashMap<>();
  private final List<String> jvmOptions = new ArrayList<>();
  private String heap = "512m";
  private int cpu = -1;
  private String classpath = System.getProperty("java.class.path");

  private JvmProcess(String mainClass) {
    this.mainClass = mainClass;
  }

  public static JvmProcess of(String mainClass) {
    return new JvmProcess(mainClass);
  }

  public JvmProcess args(List<String> values) {
    args.addAll(values);
    return this;
  }

  public JvmProcess env(String name, String value) {
    env.put(name, value);
    return this;
  }

  /** Default 512m. */
  public JvmProcess heap(String value) {
    heap = value;
    return this;
  }

  public JvmProcess jvmOption(String value) {
    jvmOptions.add(value);
    return this;
  }

  /** Another classpath than this JVM's. */
  public JvmProcess classpath(String value) {
    classpath = value;
    return this;
  }

  /** Runs the JVM on this CPU only. */
  public JvmProcess pinnedTo(int value) {
    cpu = value;
    return this;
  }

  /** Starts the JVM; its output (stdout and stderr) goes to the end of {@code log}. */
  public Process start(Path log) {
    List<String> command = new ArrayList<>();
    if (cpu >= 0) {
      command.addAll(List.of("taskset", "-c", Integer.toString(cpu)));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(moduleFlags());
    command.add("-Xmx" + heap);
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(classpath);
    command.add(mainClass);
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().remove("EDL_DIST_CONF");
    pb.environment().putAll(env);
    try {
      Files.createDirectories(log.toAbsolutePath().getParent());
      return pb.redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      throw EdlException.cannot("start " + mainClass + " in a JVM of its own", e, "See " + log);
    }
  }

  /** Spark's module flags and the offline switch, as this JVM was started with them. */
  private static List<String> moduleFlags() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(
            a ->
                a.startsWith("--add-opens")
                    || a.startsWith("-XX:+IgnoreUnrecognized")
                    || a.startsWith("-Djdk.reflect.useDirectMethodHandle")
                    || a.startsWith("-Dai.djl"))
        .toList();
  }
}
