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
          + " the main class and conf/spark-defaults.<target>.conf; or print the command"
          + " (--dry-run).",
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
      description = "local, standalone, yarn or k8s: picks conf/spark-defaults.<target>.conf.")
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
      names = "--home",
      description = "The edl-dist folder (conf/, spark-jobs/target/); default $EDL_DIST_HOME or .")
  Path home;

  @Parameters(description = "The edl-dist command and its options, after --.")
  List<String> command = new ArrayList<>();

  @Override
  public Integer call() {
    Path root = home != null ? home : Path.of(System.getenv().getOrDefault("EDL_DIST_HOME", "."));
    Submission s =
        new Submission(root.toAbsolutePath().normalize(), Submission.Target.named(target))
            .master(master)
            .deployMode(deployMode)
            .args(command);
    conf.forEach(s::conf);
    String sparkHome = System.getenv("SPARK_HOME");
    if (dryRun) {
      spec.commandLine().getOut().println(String.join(" ", s.commandLine(sparkHome)));
      return 0;
    }
    Path distribution =
        sparkHome == null
            ? SparkDistribution.at(
                root.resolve("spark-dist/target/spark"),
                root.resolve("spark-dist/target/spark-classpath.txt"))
            : null;
    return s.run(sparkHome, distribution, Sessions.NATIVE_MEMORY_ENV);
  }
}
