package io.edldist.jobs.cluster;

import io.edldist.jobs.runtime.MasterProbe;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code spark-submit} of the job jar for one kind of cluster, built from {@code conf/}: the main
 * class, the target's properties file ({@code conf/spark-defaults.<target>.conf}), for a GPU target
 * the GPU settings of {@code conf/spark-defaults.<target>-gpu.conf} as {@code --conf}, the files
 * the profile needs as absolute paths (pod templates, the GPU discovery script), {@code --jars}
 * with the S3 client jar and libtorch's native jars from {@code spark-jobs/target/native/} (on
 * Kubernetes as {@code local://} paths inside the image of {@code conf/k8s/}), the job jar, then
 * the edl-dist command line. {@code --master}, {@code --deploy-mode} and {@code --conf} override
 * the properties file. Every path is absolute, so it runs the same from any working directory.
 *
 * <p>libtorch is not inside the job jar: DJL picks its native library by the machine it runs on
 * (the CPU build, or the CUDA build when the system's CUDA runtime is at least the jar's), so a GPU
 * target ships both native jars and a JVM without CUDA keeps working on the CPU; a CPU target ships
 * the CPU one alone.
 *
 * <p>It runs through {@code $SPARK_HOME/bin/spark-submit} when {@code SPARK_HOME} names a Spark
 * distribution; otherwise through Spark's launcher over {@link SparkDistribution} (the Spark jars
 * of this build, YARN and Kubernetes modules included), as {@code bin/spark-class} does: the
 * launcher prints the driver's command line (module flags, driver memory and Java options from the
 * properties file), which is then run. Before anything runs, the master is asked once whether it
 * answers ({@link MasterProbe}).
 */
public final class Submission {
  /** Where the job is submitted, and whether its executors ask for GPUs. */
  public enum Target {
    LOCAL("local", false),
    STANDALONE("standalone", false),
    YARN("yarn", false),
    YARN_GPU("yarn", true),
    K8S("k8s", false),
    K8S_GPU("k8s", true);

    private final String profile;
    private final boolean gpu;

    Target(String profile, boolean gpu) {
      this.profile = profile;
      this.gpu = gpu;
    }

    public static Target named(String name) {
      for (Target t : values()) {
        if (t.userName().equals(name)) {
          return t;
        }
      }
      throw EdlException.invalid(
          "--target " + name,
          "unknown target",
          "Use local, standalone, yarn, yarn-gpu, k8s or k8s-gpu");
    }

    /** As the user names it: {@code yarn-gpu}. */
    public String userName() {
      return profile + (gpu ? "-gpu" : "");
    }
  }

  /** The image's folder of the job jar on Kubernetes (see conf/k8s/Dockerfile). */
  public static final String IMAGE_HOME = "/opt/edl-dist";

  public static final String MAIN_CLASS = "io.edldist.jobs.cli.Main";

  private final Path home;

  /** Set by bin/edl-dist when it, not the user, set SPARK_LOCAL_IP to 127.0.0.1. */
  static final String LOOPBACK_MARKER = "EDL_DIST_LOOPBACK";

  private final Target target;
  private String master;
  private String deployMode;
  private boolean s3Jar = true;
  private final Map<String, String> conf = new LinkedHashMap<>();
  private final List<String> args = new ArrayList<>();
  private Path log;

  /**
   * @param home the edl-dist folder: {@code conf/} and {@code spark-jobs/target/} under it
   */
  public Submission(Path home, Target target) {
    this.home = home.toAbsolutePath().normalize();
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

  /**
   * Leaves the S3 jar out, for clusters that ship S3A and the AWS SDK themselves (EMR, Dataproc,
   * Cloudera): a second SDK beside theirs, or a hadoop-aws that does not match their hadoop-common,
   * breaks S3A.
   */
  public Submission withoutS3Jar() {
    s3Jar = false;
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
    return conf("spark-defaults." + target.profile + ".conf");
  }

  /** The GPU settings a GPU target adds to its profile. */
  public Path gpuFile() {
    return conf("spark-defaults." + target.userName() + ".conf");
  }

  public Path jobJar() {
    return home.resolve("spark-jobs/target/edl-dist.jar");
  }

  public Path s3Jar() {
    return home.resolve("spark-jobs/target/edl-dist-s3.jar");
  }

  /** Where the build puts libtorch's native jars: {@code spark-jobs/target/native/}. */
  public Path nativeDir() {
    return home.resolve("spark-jobs/target/native");
  }

  private Path conf(String name) {
    return home.resolve("conf").resolve(name);
  }

  /** What follows {@code spark-submit} on its command line. */
  public List<String> sparkSubmitArgs() {
    List<String> a = new ArrayList<>(List.of("--class", MAIN_CLASS));
    a.addAll(List.of("--properties-file", propertiesFile().toString()));
    Map<String, String> settings = new LinkedHashMap<>();
    if (target.gpu) {
      settings.putAll(properties(gpuFile()));
    }
    if (target.profile.equals("k8s")) {
      settings.put(
          "spark.kubernetes.driver.podTemplateFile",
          conf("k8s/driver-pod-template.yaml").toString());
      settings.put(
          "spark.kubernetes.executor.podTemplateFile",
          conf("k8s/executor-pod-template.yaml").toString());
    }
    if (target == Target.YARN_GPU) {
      // into each container's working directory, where the profile's ./gpu-discovery.sh is
      a.addAll(List.of("--files", conf("gpu-discovery.sh").toString()));
    }
    if (master != null) {
      a.addAll(List.of("--master", master));
    }
    if (deployMode != null) {
      a.addAll(List.of("--deploy-mode", deployMode));
    }
    settings.putAll(conf);
    settings.forEach((k, v) -> a.addAll(List.of("--conf", k + "=" + v)));
    boolean image = target.profile.equals("k8s");
    String jarDir = image ? "local://" + IMAGE_HOME : home.resolve("spark-jobs/target").toString();
    List<String> jars = new ArrayList<>();
    if (s3Jar) {
      jars.add(jarDir + "/edl-dist-s3.jar");
    }
    for (String nativeJar : nativeJars()) {
      jars.add(jarDir + "/native/" + nativeJar);
    }
    a.addAll(List.of("--jars", String.join(",", jars)));
    a.add(jarDir + "/edl-dist.jar");
    a.addAll(args);
    return a;
  }

  /**
   * The native jars this target ships: the CPU build, and for a GPU target the CUDA build as well.
   * A GPU target without a CUDA build is refused: it would reserve GPUs that libtorch never uses.
   */
  List<String> nativeJars() {
    String[] names = nativeDir().toFile().list((dir, name) -> name.endsWith(".jar"));
    List<String> all = names == null ? List.of() : java.util.Arrays.stream(names).sorted().toList();
    List<String> cpu = all.stream().filter(n -> n.startsWith("pytorch-native-cpu-")).toList();
    List<String> cuda = all.stream().filter(n -> n.startsWith("pytorch-native-cu")).toList();
    if (cpu.isEmpty()) {
      throw EdlException.cannot(
          "submit to " + target.userName(),
          "there is no libtorch native jar in " + nativeDir(),
          "Build the project: mvn -B package");
    }
    if (!target.gpu) {
      return cpu;
    }
    if (cuda.isEmpty()) {
      throw EdlException.cannot(
          "submit to " + target.userName(),
          "this build has no CUDA libtorch in "
              + nativeDir()
              + ", so the GPUs the profile reserves would sit idle",
          "Build with mvn -B -Pcuda package (README: GPUs), or submit with --target "
              + target.profile);
    }
    List<String> both = new ArrayList<>(cpu);
    both.addAll(cuda);
    return both;
  }

  /** A properties file as spark-submit reads it, in file order. */
  static Map<String, String> properties(Path file) {
    Map<String, String> out = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(file)) {
        String l = line.strip();
        if (l.isEmpty() || l.startsWith("#")) {
          continue;
        }
        String[] kv = l.split("\\s+", 2);
        out.put(kv[0], kv.length > 1 ? kv[1].strip() : "");
      }
    } catch (IOException e) {
      throw EdlException.cannot(
          "submit to " + file.getFileName(), e, "Check the edl-dist folder (--home)");
    }
    return out;
  }

  /** The command line, as a shell would run it ({@code spark-submit} from {@code SPARK_HOME}). */
  public List<String> commandLine(String sparkHome) {
    checkProfile();
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
    checkProfile();
    if (!target.profile.equals("k8s") && !Files.isRegularFile(jobJar())) {
      throw EdlException.cannot(
          "submit the job jar", jobJar() + " does not exist", "Build it: mvn -B package");
    }
    probeMaster(env);
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
    if (System.getenv(LOOPBACK_MARKER) != null && !onThisMachine(masterUrl())) {
      // bin/edl-dist bound local mode to 127.0.0.1; a driver whose executors run elsewhere must
      // listen where they can reach it
      pb.environment().remove("SPARK_LOCAL_IP");
    }
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

  private void checkProfile() {
    for (Path file :
        target.gpu ? List.of(propertiesFile(), gpuFile()) : List.of(propertiesFile())) {
      if (!Files.isRegularFile(file)) {
        throw EdlException.cannot(
            "submit to " + target.userName(),
            "there is no " + file,
            "Point --home (or EDL_DIST_HOME) at the edl-dist folder");
      }
    }
  }

  /** The master this submission goes to answers, or a one-line error before spark-submit runs. */
  /** The master: --master, else the profile's spark.master; null when neither names one. */
  private String masterUrl() {
    return master != null ? master : properties(propertiesFile()).get("spark.master");
  }

  /**
   * Whether every host {@code url} names is this machine's loopback ({@code local*}, or {@code
   * spark://} on 127.0.0.1 or localhost): only then may the driver listen on 127.0.0.1 alone.
   */
  static boolean onThisMachine(String url) {
    if (url == null || url.startsWith("local")) {
      return true;
    }
    if (!url.startsWith("spark://")) {
      return false;
    }
    for (String hostPort : url.substring("spark://".length()).split(",")) {
      String host =
          hostPort.contains(":") ? hostPort.substring(0, hostPort.lastIndexOf(':')) : hostPort;
      if (!host.strip().equals("127.0.0.1") && !host.strip().equals("localhost")) {
        return false;
      }
    }
    return true;
  }

  private void probeMaster(Map<String, String> env) {
    String url = masterUrl();
    if (url == null) {
      return;
    }
    Map<String, String> all = new LinkedHashMap<>(System.getenv());
    all.putAll(env);
    MasterProbe.check(
        url,
        master != null ? "--master" : "--master (or spark.master in " + propertiesFile() + ")",
        all);
  }
}
