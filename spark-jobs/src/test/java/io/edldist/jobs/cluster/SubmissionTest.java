package io.edldist.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edldist.jobs.cli.Main;
import io.edldist.udfs.EdlException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spark-submit lines edl-dist submit builds: YARN and Kubernetes cannot run here. */
class SubmissionTest {
  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  private static final String TARGET = HOME + "/spark-jobs/target";
  private static final String CPU_NATIVE = "pytorch-native-cpu-2.7.1-linux-x86_64.jar";

  @Test
  void aDriverListensOnLoopbackOnlyWhenItsMasterIsOnThisMachine() {
    assertThat(Submission.onThisMachine("local[*]")).isTrue();
    assertThat(Submission.onThisMachine("spark://127.0.0.1:7077")).isTrue();
    assertThat(Submission.onThisMachine("spark://localhost:7077,127.0.0.1:7078")).isTrue();
    assertThat(Submission.onThisMachine("spark://spark-master:7077")).isFalse();
    assertThat(Submission.onThisMachine("spark://127.0.0.1:7077,spark-master:7077")).isFalse();
    assertThat(Submission.onThisMachine("yarn")).isFalse();
    assertThat(Submission.onThisMachine("k8s://https://10.0.0.1:6443")).isFalse();
  }

  @Test
  void yarnSubmitsTheJobJarTheS3JarAndTheCpuLibtorchWithTheYarnProfile() {
    List<String> args =
        new Submission(HOME, Submission.Target.YARN)
            .args(List.of("--lake", "s3a://bucket/lake", "infer"))
            .sparkSubmitArgs();
    assertThat(args)
        .containsSequence("--class", "io.edldist.jobs.cli.Main")
        .containsSequence("--properties-file", HOME + "/conf/spark-defaults.yarn.conf")
        .containsSequence(
            "--jars",
            TARGET + "/edl-dist-s3.jar," + TARGET + "/native/" + CPU_NATIVE,
            TARGET + "/edl-dist.jar",
            "--lake",
            "s3a://bucket/lake",
            "infer")
        .doesNotContain("--master", "--files")
        .noneMatch(a -> a.contains("gpu"));
  }

  @Test
  void withoutTheS3JarOnlyLibtorchIsAdded() {
    List<String> args =
        new Submission(HOME, Submission.Target.YARN)
            .withoutS3Jar()
            .args(List.of("infer"))
            .sparkSubmitArgs();
    assertThat(args)
        .containsSequence("--jars", TARGET + "/native/" + CPU_NATIVE)
        .noneMatch(a -> a.contains("edl-dist-s3"));
  }

  @Test
  void kubernetesSubmitsTheJarsInsideTheImageAndThePodTemplatesByAbsolutePath() {
    List<String> args =
        new Submission(HOME, Submission.Target.K8S)
            .master("k8s://https://api:6443")
            .conf("spark.executor.instances", "4")
            .args(List.of("quickstart"))
            .sparkSubmitArgs();
    assertThat(args)
        .containsSequence("--master", "k8s://https://api:6443")
        .containsSequence("--conf", "spark.executor.instances=4")
        .containsSequence(
            "--conf",
            "spark.kubernetes.driver.podTemplateFile="
                + HOME
                + "/conf/k8s/driver-pod-template.yaml")
        .containsSequence(
            "--jars",
            "local:///opt/edl-dist/edl-dist-s3.jar,local:///opt/edl-dist/native/" + CPU_NATIVE,
            "local:///opt/edl-dist/edl-dist.jar",
            "quickstart")
        .noneMatch(a -> a.contains("resource.gpu"));
  }

  @Test
  void aGpuTargetWithoutACudaBuildIsRefusedBeforeAnythingIsSubmitted() {
    Submission gpu = new Submission(HOME, Submission.Target.YARN_GPU).args(List.of("infer"));
    assertThatThrownBy(gpu::sparkSubmitArgs)
        .isInstanceOf(EdlException.class)
        .hasMessageStartingWith("Cannot submit to yarn-gpu: this build has no CUDA libtorch")
        .hasMessageContaining("mvn -B -Pcuda package")
        .hasMessageContaining("--target yarn");
  }

  @Test
  void aGpuTargetShipsBothLibtorchBuildsTheGpuSettingsAndTheDiscoveryScript(@TempDir Path home)
      throws IOException {
    Files.createDirectories(home.resolve("conf"));
    for (String f :
        List.of("spark-defaults.yarn.conf", "spark-defaults.yarn-gpu.conf", "gpu-discovery.sh")) {
      Files.copy(HOME.resolve("conf").resolve(f), home.resolve("conf").resolve(f));
    }
    Path natives = Files.createDirectories(home.resolve("spark-jobs/target/native"));
    Files.writeString(natives.resolve(CPU_NATIVE), "");
    Files.writeString(natives.resolve("pytorch-native-cu128-2.7.1-linux-x86_64.jar"), "");
    List<String> args =
        new Submission(home, Submission.Target.YARN_GPU).args(List.of("infer")).sparkSubmitArgs();
    String target = home + "/spark-jobs/target/native/";
    assertThat(args)
        .containsSequence("--files", home + "/conf/gpu-discovery.sh")
        .containsSequence("--conf", "spark.executor.resource.gpu.amount=1")
        .containsSequence("--conf", "spark.task.resource.gpu.amount=0.5")
        .containsSequence(
            "--conf", "spark.executor.resource.gpu.discoveryScript=./gpu-discovery.sh")
        .contains(
            home
                + "/spark-jobs/target/edl-dist-s3.jar,"
                + target
                + CPU_NATIVE
                + ","
                + target
                + "pytorch-native-cu128-2.7.1-linux-x86_64.jar");
  }

  @Test
  void everyProfileNamesOneNativeFlavourAndNoSubmitSidePath() {
    for (Submission.Target t : Submission.Target.values()) {
      if (t.userName().endsWith("-gpu")) {
        continue; // no CUDA build here: refused above
      }
      List<String> args = new Submission(HOME, t).args(List.of("infer")).sparkSubmitArgs();
      String jars = args.get(args.indexOf("--jars") + 1);
      assertThat(jars.split(","))
          .as(t.userName())
          .filteredOn(j -> j.contains("pytorch-native-"))
          .singleElement()
          .satisfies(j -> assertThat(j).endsWith(CPU_NATIVE));
      assertThat(Submission.properties(new Submission(HOME, t).propertiesFile()).values())
          .as(t.userName())
          .noneMatch(v -> v.startsWith("./") || v.startsWith("conf/"));
    }
  }

  @Test
  void dryRunPrintsTheCommandAndRunsNothing() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int code;
    try {
      code =
          Main.run(
              "submit",
              "--target",
              "standalone",
              "--master",
              "spark://host:7077",
              "--deploy-mode",
              "cluster",
              "--home",
              HOME.toString(),
              "--dry-run",
              "--",
              "--lake",
              "s3a://b/l",
              "train",
              "--mode",
              "kd");
    } finally {
      System.setOut(old);
    }
    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8).strip())
        .endsWith(
            "--master spark://host:7077 --deploy-mode cluster --jars "
                + TARGET
                + "/edl-dist-s3.jar,"
                + TARGET
                + "/native/"
                + CPU_NATIVE
                + " "
                + TARGET
                + "/edl-dist.jar --lake s3a://b/l train --mode kd")
        .contains("spark-defaults.standalone.conf");
  }

  @Test
  void anUnknownTargetIsAUserError() {
    assertThatThrownBy(() -> Submission.Target.named("mesos"))
        .isInstanceOf(EdlException.class)
        .hasMessageContaining("Invalid --target mesos")
        .hasMessageContaining("local, standalone, yarn, yarn-gpu, k8s or k8s-gpu");
  }
}
