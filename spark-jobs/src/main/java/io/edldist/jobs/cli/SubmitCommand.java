package io.edldist.jobs.cli;

import io.edldist.jobs.cluster.SparkDistribution;
import io.edldist.jobs.cluster.Submission;
import io.edldist.jobs.runtime.Sessions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = {
      "Submit an edl-dist command to a cluster through spark-submit, with the job jar, the S3 jar,"
          + " libtorch's native jars, the main class and conf/spark-defaults.<target>.conf; or"
          + " print the command (--dry-run). Every path is absolute: it runs from any folder.",
      "Example: edl-dist submit --target standalone --master spark://host:7077 -- --lake"
          + " s3a://bucket/lake infer",
      "Runs $SPARK_HOME/bin/spark-submit; without SPARK_HOME, Spark's launcher over this build's"
          + " Spark jars. Exits with spark-submit's exit code."
    })
final class SubmitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--target",
      required = true,
      description =
          "local, standalone, yarn, yarn-gpu, k8s or k8s-gpu: conf/spark-defaults.<target>.conf"
              + " (a -gpu target adds conf/spark-defaults.<target>-gpu.conf).")
  String target;

  @Option(names = "--master", description = "Override the properties file's spark.master.")
  String master;

  @Option(names = "--deploy-mode", description = "client or cluster (default: the file's).")
  String deployMode;

  @Option(names = "--conf", description = "More Spark settings, key=value (repeatable).")
  Map<String, String> conf = new LinkedHashMap<>();

  @Option(
      names = "--dry-run",
      description = "Print the spark-submit command instead of running it.")
  boolean dryRun;

  @Option(
      names = "--no-s3-jar",
      description =
          "Leave out edl-dist-s3.jar, on clusters that ship S3A themselves (EMR, Dataproc,"
              + " Cloudera).")
  boolean noS3Jar;

  @Option(
      names = "--home",
      description =
          "The edl-dist folder (conf/, spark-jobs/target/); default $EDL_DIST_HOME, which"
              + " bin/edl-dist sets.")
  Path home;

  @Parameters(description = "The edl-dist command and its options, after --.")
  List<String> command = new ArrayList<>();

  @Override
  public Integer call() {
    Path root = home != null ? home : Main.home();
    Submission s =
        new Submission(root, Submission.Target.named(target))
            .master(master)
            .deployMode(deployMode)
            .args(command);
    if (noS3Jar) {
      s.withoutS3Jar();
    }
    conf.forEach(s::conf);
    String sparkHome = System.getenv("SPARK_HOME");
    if (dryRun) {
      spec.commandLine().getOut().println(String.join(" ", s.commandLine(sparkHome)));
      return 0;
    }
    Path distribution = sparkHome == null ? SparkDistribution.of(root) : null;
    return s.run(sparkHome, distribution, Sessions.NATIVE_MEMORY_ENV);
  }
}
