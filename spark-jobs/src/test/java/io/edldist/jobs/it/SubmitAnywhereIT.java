package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.cluster.SparkDistribution;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/edl-dist submit} as a scheduler runs it: from a folder that is not the repository,
 * with the jars the build made. YARN and Kubernetes cannot run here, so their lines are checked
 * ({@code --dry-run}) and their masters are made unreachable on purpose.
 */
class SubmitAnywhereIT {
  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  private static Path elsewhere;

  /** What a run of the launcher printed. */
  record Run(int code, String out, String err) {}

  @BeforeAll
  static void elsewhere() throws IOException {
    elsewhere = Files.createTempDirectory("edl-dist-elsewhere");
  }

  @Test
  void theJobJarHoldsNoNativeLibraryWhichShipsBesideIt() throws IOException {
    try (JarFile jar = new JarFile(HOME.resolve("spark-jobs/target/edl-dist.jar").toFile())) {
      assertThat(jar.stream().map(e -> e.getName()))
          .as("libtorch in the job jar (DJL's JNI glue and JNA's belong there)")
          .noneMatch(n -> n.startsWith("native/lib/") || n.contains("libtorch"))
          .contains("io/edldist/jobs/cli/Main.class", "ai/djl/pytorch/engine/PtEngine.class");
    }
    try (Stream<Path> natives = Files.list(HOME.resolve("spark-jobs/target/native"))) {
      assertThat(natives.map(p -> p.getFileName().toString()))
          .containsExactly("pytorch-native-cpu-2.7.1-linux-x86_64.jar");
    }
  }

  @Test
  void sparksOwnJarsReachYarnAndKubernetes() throws Exception {
    Path dist = SparkDistribution.of(HOME);
    List<URL> jars = new ArrayList<>();
    try (Stream<Path> files = Files.list(dist.resolve("jars"))) {
      for (Path p : files.toList()) {
        jars.add(p.toUri().toURL());
      }
    }
    try (URLClassLoader spark =
        new URLClassLoader(jars.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      // what SparkSubmit loads for --master yarn and k8s:// in cluster deploy mode
      assertThat(spark.loadClass("org.apache.spark.deploy.yarn.YarnClusterApplication"))
          .isNotNull();
      assertThat(spark.loadClass("org.apache.spark.deploy.k8s.submit.KubernetesClientApplication"))
          .isNotNull();
    }
  }

  @Test
  void dryRunsFromAnotherFolderNameEveryFileByAnAbsolutePathThatExists() throws Exception {
    for (String target : List.of("yarn", "k8s", "standalone", "local")) {
      Run run =
          launch(Map.of(), "submit", "--target", target, "--dry-run", "--", "--lake", "s3a://b/l");
      assertThat(run.code()).as(target + ": " + run.err()).isZero();
      List<String> tokens = List.of(run.out().strip().split("\\s+|,|="));
      assertThat(tokens).as(target).contains("io.edldist.jobs.cli.Main");
      for (String t : tokens) {
        if (t.contains("/") && !t.contains("://")) {
          assertThat(Path.of(t)).as(target + " names " + t).isAbsolute().exists();
        }
      }
    }
  }

  @Test
  void aMasterThatDoesNotAnswerIsOneLineAndExitTwoBeforeSparkSubmitRuns() throws IOException {
    Run standalone = launch(Map.of(), "submit", "--target", "standalone", "--", "infer");
    assertThat(standalone.code()).isEqualTo(2);
    assertThat(standalone.err().strip())
        .isEqualTo(
            "edl-dist: Cannot reach the Spark master spark://spark-master:7077: unknown host"
                + " spark-master. Start the master, or set --master (or spark.master in "
                + HOME
                + "/conf/spark-defaults.standalone.conf) to a running one");

    Path conf = Files.createDirectories(elsewhere.resolve("hadoop-conf"));
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Files.writeString(
        conf.resolve("yarn-site.xml"),
        "<configuration><property><name>yarn.resourcemanager.address</name><value>127.0.0.1:"
            + port
            + "</value></property></configuration>");
    Run yarn = launch(Map.of("HADOOP_CONF_DIR", conf.toString()), "submit", "--target", "yarn");
    assertThat(yarn.code()).isEqualTo(2);
    assertThat(yarn.err().strip())
        .startsWith("edl-dist: Cannot reach the YARN ResourceManager at 127.0.0.1:" + port)
        .doesNotContain("\n");

    Run k8s =
        launch(
            Map.of(),
            "submit",
            "--target",
            "k8s",
            "--master",
            "k8s://https://127.0.0.1:" + port,
            "--",
            "infer");
    assertThat(k8s.code()).isEqualTo(2);
    assertThat(k8s.err().strip())
        .startsWith("edl-dist: Cannot reach the Kubernetes API server k8s://https://127.0.0.1:");
  }

  @Test
  void aSettingSparkRefusesIsOneLineAndExitTwo() throws IOException {
    Run run =
        launch(
            Map.of(),
            "--lake",
            elsewhere.resolve("lake").toString(),
            "--set",
            "spark.master=local[1]",
            "--set",
            "spark.task.cpus=2",
            "sql",
            "SELECT 1");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err().lines().filter(l -> l.startsWith("edl-dist:")))
        .containsExactly(
            "edl-dist: Cannot start Spark: The number of cores per executor (=1) has to be >= the"
                + " number of cpus per task = 2. Fix the setting it names (--set, the config"
                + " file, or the profile spark-submit used)");
  }

  /** Runs {@code bin/edl-dist args} with its working directory outside the repository. */
  private static Run launch(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(HOME.resolve("bin/edl-dist").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(elsewhere.toFile());
    pb.environment().remove("SPARK_HOME");
    pb.environment().remove("HADOOP_CONF_DIR");
    pb.environment().remove("YARN_CONF_DIR");
    pb.environment().putAll(env);
    Path out = Files.createTempFile(elsewhere, "out", ".txt");
    Path err = Files.createTempFile(elsewhere, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    try {
      int code = pb.start().waitFor();
      return new Run(code, Files.readString(out), Files.readString(err));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
