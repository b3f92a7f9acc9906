package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.Sessions;
import io.edldist.udfs.EdlException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code edl-dist} command line. Each command only parses its options and calls a stage; the
 * stages are what tests, notebooks and the Airflow DAG call too. Exit codes: 0 success, 2 bad
 * usage, configuration or input (one line on stderr), 1 internal failure (one line; the stack trace
 * with {@code --verbose}).
 */
@Command(
    name = "edl-dist",
    mixinStandardHelpOptions = true,
    version = "edl-dist 0.1.0",
    description =
        "Knowledge distillation on Apache Spark: teacher inference as a Spark stage"
            + " writing soft labels to Delta, student training from that table.",
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
      ChaosCommand.class,
      ConfigCommand.class
    })
public final class Main implements Callable<Integer> {
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
    CommandLine.usage(this, System.out);
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

  static String runId(EdlConfig config) {
    String id = config.get(EdlConfig.RUN_ID);
    return id.isEmpty()
        ? LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
        : id;
  }

  static Lake lake(EdlConfig config, String command) {
    SparkSession spark = Sessions.create(config, "edl-dist " + command);
    return new Lake(spark, config.get(EdlConfig.LAKE));
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (tests call this). */
  public static int run(String... args) {
    Main main = new Main();
    CommandLine cli = new CommandLine(main);
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
          System.err.println(
              "edl-dist: "
                  + (userError ? "" : "internal error: ")
                  + message.lines().filter(l -> !l.isBlank()).findFirst().orElse("").strip());
          if (main.verbose) {
            e.printStackTrace();
          } else if (!userError) {
            System.err.println("edl-dist: run again with --verbose for the stack trace");
          }
          return userError ? 2 : 1;
        });
    cli.setParameterExceptionHandler(
        (e, argv) -> {
          System.err.println("edl-dist: " + e.getMessage());
          System.err.println("edl-dist: see '" + e.getCommandLine().getCommandName() + " --help'");
          return 2;
        });
    return cli.execute(args);
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
