package io.edldist.jobs.cluster;

import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@code spark-submit} of the job jar for one kind of cluster, built from {@code conf/}: the main
 * class, the target's properties file ({@code conf/spark-defaults.<target>.conf}), the job jar and
 * the S3 client jar ({@code --jars}; on Kubernetes both as {@code local://} paths inside the image
 * of {@code conf/k8s/Dockerfile}), then the edl-dist command line. {@code --master} and {@code
 * --deploy-mode} override the properties file.
 *
 * <p>It runs through {@code $SPARK_HOME/bin/spark-submit} when {@code SPARK_HOME} names a Spark
 * distribution; otherwise through Spark's launcher over {@link SparkDistribution} (the Spark jars
 * of this build), as {@code bin/spark-class} does: the launcher prints the driver's command line
 * (module flags, driver memory and Java options from the properties file), which is then run.
 */
public final class Submission {
  /** Where the job is submitted. */
  public enum Target {
    LOCAL,
    STANDALONE,
    YARN,
    K8S;

    public static Target named(String name) {
      try {
        return valueOf(name.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw EdlException.invalid(
            "--target " + name, "unknown target", "Use local, standalone, yarn or k8s");
      }
    }

    String confName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The image's folder of the job jar on Kubernetes (see conf/k8s/Dockerfile). */
  public static final String IMAGE_HOME = "/opt/edl-dist";

  public static final String MAIN_CLASS = "io.edldist.jobs.cli.Main";

  private final Path home;
  private final Target target;
  private String master;
  private String deployMode;
  private final Map<String, String> conf = new LinkedHashMap<>();
  private final List<String> args = new ArrayList<>();
  private Path log;

  /**
   * @param home the edl-dist folder: {@code conf/} and {@code spark-jobs/target/} under it
   */
  public Submission(Path home, Target target) {
    this.home = home;
    this.target = target;
  }

  public Submission master(String value) {
    master = value;
    return this;
  }

  public Submission deployMode(String value) {
    deployMode = value;
    return this;
  }

  public Submission conf(String key, String value) {
    conf.put(key, value);
    return this;
  }

  /** Sends spark-submit's output to the end of this file instead of this process's output. */
  public Submission log(Path file) {
    log = file;
    return this;
  }

  /** The edl-dist command line the driver runs, e.g. {@code --lake L infer}. */
  public Submission args(List<String> value) {
    args.addAll(value);
    return this;
  }

  public Path propertiesFile() {
    return home.resolve("conf").resolve("spark-defaults." + target.confName() + ".conf");
  }

  public Path jobJar() {
    return home.resolve("spark-jobs/target/edl-dist.jar");
  }

  public Path s3Jar() {
    return home.resolve("spark-jobs/target/edl-dist-s3.jar");
  }

  /** What follows {@code spark-submit} on its command line. */
  public List<String> sparkSubmitArgs() {
    List<String> a = new ArrayList<>(List.of("--class", MAIN_CLASS));
    a.addAll(List.of("--properties-file", propertiesFile().toString()));
    if (master != null) {
      a.addAll(List.of("--master", master));
    }
    if (deployMode != null) {
      a.addAll(List.of("--deploy-mode", deployMode));
    }
    conf.forEach((k, v) -> a.addAll(List.of("--conf", k + "=" + v)));
    if (target == Target.K8S) {
      a.addAll(List.of("--jars", "local://" + IMAGE_HOME + "/edl-dist-s3.jar"));
      a.add("local://" + IMAGE_HOME + "/edl-dist.jar");
    } else {
      a.addAll(List.of("--jars", s3Jar().toString()));
      a.add(jobJar().toString());
    }
    a.addAll(args);
    return a;
  }

  /** The command line, as a shell would run it ({@code spark-submit} from {@code SPARK_HOME}). */
  public List<String> commandLine(String sparkHome) {
    List<String> c = new ArrayList<>();
    c.add(
        sparkHome == null ? "spark-submit" : Path.of(sparkHome, "bin", "spark-submit").toString());
    c.addAll(sparkSubmitArgs());
    return c;
  }

  /**
   * Runs the submission and returns spark-submit's exit code; output goes to this process's (or to
   * the {@link #log} file).
   *
   * @param sparkHome a Spark distribution, or null to use {@code distribution}
   * @param distribution this build's Spark jars as a distribution folder
   * @param env more environment for spark-submit (the driver's, in client mode)
   */
  public int run(String sparkHome, Path distribution, Map<String, String> env) {
    checkFiles();
    List<String> command;
    Map<String, String> environment = new LinkedHashMap<>(env);
    environment.put("SPARK_CONF_DIR", home.resolve("conf").toString());
    if (sparkHome != null) {
      command = commandLine(sparkHome);
    } else {
      environment.put("SPARK_HOME", distribution.toString());
      // what a distribution's bin/load-spark-env.sh sets for its launcher
      environment.put("SPARK_SCALA_VERSION", "2.13");
      command = launch(distribution, environment);
    }
    ProcessBuilder pb = new ProcessBuilder(command);
    if (log == null) {
      pb.inheritIO();
    } else {
      pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    }
    pb.environment().putAll(environment);
    try {
      return pb.start().waitFor();
    } catch (IOException e) {
      throw EdlException.cannot("run spark-submit", e, "Check SPARK_HOME and Java");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    }
  }

  /** Spark's launcher turns the spark-submit arguments into the driver's command line. */
  private List<String> launch(Path distribution, Map<String, String> environment) {
    List<String> launcher =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-cp",
                SparkDistribution.classpath(distribution),
                "org.apache.spark.launcher.Main",
                "org.apache.spark.deploy.SparkSubmit"));
    launcher.addAll(sparkSubmitArgs());
    ProcessBuilder pb = new ProcessBuilder(launcher).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().putAll(environment);
    try {
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw EdlException.cannot(
            "build the spark-submit command", "Spark's launcher failed", "See its message above");
      }
      List<String> command = new ArrayList<>();
      for (String part : out.split("\0")) {
        if (!part.isBlank()) {
          command.add(command.isEmpty() ? part.strip() : part);
        }
      }
      return command;
    } catch (IOException e) {
      throw EdlException.cannot("run Spark's launcher", e, "Check Java and " + distribution);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void checkFiles() {
    if (!Files.isRegularFile(propertiesFile())) {
      throw EdlException.cannot(
          "submit to " + target.confName(),
          "there is no " + propertiesFile(),
          "Run it from the edl-dist folder (or set EDL_DIST_HOME)");
    }
    if (target != Target.K8S && !Files.isRegularFile(jobJar())) {
      throw EdlException.cannot(
          "submit the job jar", jobJar() + " does not exist", "Build it: mvn -B package");
    }
  }
}
