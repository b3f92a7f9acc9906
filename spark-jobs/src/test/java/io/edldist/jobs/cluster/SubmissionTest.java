package io.edldist.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edldist.jobs.cli.Main;
import io.edldist.udfs.EdlException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The spark-submit lines edl-dist submit builds: YARN and Kubernetes cannot run here. */
class SubmissionTest {
  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();

  @Test
  void yarnSubmitsTheJobJarAndTheS3JarWithTheYarnProfile() {
    List<String> args =
        new Submission(HOME, Submission.Target.YARN)
            .args(List.of("--lake", "s3a://bucket/lake", "infer"))
            .sparkSubmitArgs();
    assertThat(args)
        .containsSequence("--class", "io.edldist.jobs.cli.Main")
        .containsSequence("--properties-file", HOME + "/conf/spark-defaults.yarn.conf")
        .containsSequence(
            "--jars",
            HOME + "/spark-jobs/target/edl-dist-s3.jar",
            HOME + "/spark-jobs/target/edl-dist.jar",
            "--lake",
            "s3a://bucket/lake",
            "infer")
        .doesNotContain("--master");
  }

  @Test
  void kubernetesSubmitsTheJarsInsideTheImage() {
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
            "--jars",
            "local:///opt/edl-dist/edl-dist-s3.jar",
            "local:///opt/edl-dist/edl-dist.jar",
            "quickstart");
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
                + HOME
                + "/spark-jobs/target/edl-dist-s3.jar "
                + HOME
                + "/spark-jobs/target/edl-dist.jar --lake s3a://b/l train --mode kd")
        .contains("spark-defaults.standalone.conf");
  }

  @Test
  void anUnknownTargetIsAUserError() {
    assertThatThrownBy(() -> Submission.Target.named("mesos"))
        .isInstanceOf(EdlException.class)
        .hasMessageContaining("Invalid --target mesos")
        .hasMessageContaining("local, standalone, yarn or k8s");
  }
}
