package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.results.ResultsFiles;
import io.edldist.jobs.runtime.Sessions;
import io.edldist.udfs.EdlException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code edl-dist} command line. Each command only parses its options and calls a stage; the
 * stages are what tests, notebooks and the Airflow DAG call too. Commands write through picocli's
 * writers ({@code spec.commandLine().getOut()}), so callers can capture them.
 *
 * <p>Exit codes: 0 success; 1 internal failure (one line; the stack trace with {@code --verbose});
 * 2 bad usage, configuration or input (one line on stderr naming the input, the problem and the
 * fix); 3 a check that ran and found a problem ({@code chaos} with a failed scenario, {@code docs
 * --check} with a stale document, {@code cluster status} with no cluster running).
 */
@Command(
    name = "edl-dist",
    mixinStandardHelpOptions = true,
    version = "edl-dist 0.1.0",
    description =
        "Knowledge distillation on Apache Spark: teacher inference as a Spark stage"
            + " writing soft labels to Delta, student training from that table.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:internal failure (the stack trace with --verbose)",
      "2:bad usage, configuration or input",
      "3:a check found a problem (chaos, docs --check, cluster status)"
    },
    subcommands = {
      IngestCommand.class,
      TrainTeacherCommand.class,
      InferCommand.class,
      TrainCommand.class,
      EvaluateCommand.class,
      QuickstartCommand.class,
      BlockwiseCommand.class,
      BenchCommand.class,
      SqlCommand.class,
      ClusterCommand.class,
      SubmitCommand.class,
      ChaosCommand.class,
      DocsCommand.class,
      ConfigCommand.class
    })
public final class Main implements Callable<Integer> {
  /** Exit code of a check that ran and found a problem. */
  static final int CHECK_FAILED = 3;

  @Spec CommandSpec spec;

  @Option(
      names = "--config",
      scope = ScopeType.INHERIT,
      description = "Config file (key=value); default $EDL_DIST_CONF when set.")
  Path configFile;

  @Option(
      names = "--set",
      scope = ScopeType.INHERIT,
      description = "Override a setting, e.g. --set train.epochs=5 (repeatable).")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(names = "--lake", scope = ScopeType.INHERIT, description = "Lake root (--set lake=...).")
  String lake;

  @Option(names = "--data", scope = ScopeType.INHERIT, description = "Input data (--set data=...).")
  String data;

  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description = "Print stack traces of errors.")
  boolean verbose;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** The configuration from file, --set, --lake and --data. */
  EdlConfig config() {
    Map<String, String> all = new LinkedHashMap<>(overrides);
    if (lake != null) {
      all.put(EdlConfig.LAKE.name(), lake);
    }
    if (data != null) {
      all.put(EdlConfig.DATA.name(), data);
    }
    Path file = configFile;
    String env = System.getenv("EDL_DIST_CONF");
    if (file == null && env != null && !env.isBlank()) {
      file = Path.of(env);
    }
    return EdlConfig.load(file, all);
  }

  /**
   * The edl-dist folder ({@code conf/}, the jars): {@code $EDL_DIST_HOME}, which {@code
   * bin/edl-dist} sets, else the working directory.
   */
  static Path home() {
    String env = System.getenv("EDL_DIST_HOME");
    return Path.of(env == null || env.isBlank() ? "." : env).toAbsolutePath().normalize();
  }

  static String runId(EdlConfig config) {
    String id = config.get(EdlConfig.RUN_ID);
    return id.isEmpty() ? ResultsFiles.stamp() : id;
  }

  static Lake lake(EdlConfig config, String command) {
    SparkSession spark = Sessions.create(config, "edl-dist " + command);
    return new Lake(spark, config.get(EdlConfig.LAKE)).check();
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (tests call this). */
  public static int run(String... args) {
    Main main = new Main();
    CommandLine cli = new CommandLine(main);
    PrintWriter stdout =
        new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    PrintWriter stderr =
        new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    cli.setOut(stdout).setErr(stderr);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean userError = e instanceof EdlException;
          String message = e.getMessage() == null ? e.toString() : e.getMessage();
          if (!userError) {
            Throwable cause = rootEdlCause(e);
            if (cause != null) {
              userError = true;
              message = cause.getMessage();
            }
          }
          PrintWriter err = commandLine.getErr();
          err.println(
              "edl-dist: "
                  + (userError ? "" : "internal error: ")
                  + message.lines().filter(l -> !l.isBlank()).findFirst().orElse("").strip());
          if (main.verbose) {
            e.printStackTrace(err);
          } else if (!userError) {
            err.println("edl-dist: run again with --verbose for the stack trace");
          }
          err.flush();
          return userError ? 2 : 1;
        });
    cli.setParameterExceptionHandler(
        (e, argv) -> {
          PrintWriter err = e.getCommandLine().getErr();
          err.println("edl-dist: " + e.getMessage());
          err.println("edl-dist: see '" + e.getCommandLine().getCommandName() + " --help'");
          err.flush();
          return 2;
        });
    try {
      return cli.execute(args);
    } finally {
      stdout.flush();
      stderr.flush();
    }
  }

  /** A user error raised inside a Spark task reaches the driver wrapped; find it. */
  private static Throwable rootEdlCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof EdlException) {
        return t;
      }
    }
    return null;
  }
}
