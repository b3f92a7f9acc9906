package io.edldist.jobs.cli;

import io.edldist.jobs.cluster.LocalCluster;
import io.edldist.jobs.cluster.SparkDistribution;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.network.util.JavaUtils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = {
      "Start, stop or inspect a Spark standalone cluster on this machine (Master and Workers as"
          + " separate JVMs on 127.0.0.1, executors as JVMs of their own), from the project's own"
          + " jars.",
      "Then run any command on it: edl-dist --config conf/local-cluster.conf infer"
    },
    subcommands = {
      ClusterCommand.Start.class,
      ClusterCommand.Stop.class,
      ClusterCommand.Status.class
    })
final class ClusterCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--dir",
      defaultValue = "cluster",
      scope = ScopeType.INHERIT,
      description = "Folder for pids, logs and executor work dirs (default ./cluster).")
  Path dir;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  @Command(name = "start", mixinStandardHelpOptions = true, description = "Start the cluster.")
  static final class Start implements Callable<Integer> {
    @ParentCommand ClusterCommand cluster;
    @Spec CommandSpec spec;

    @Option(names = "--workers", defaultValue = "2", description = "Workers (default 2).")
    int workers;

    @Option(names = "--cores", defaultValue = "1", description = "Cores per Worker (default 1).")
    int cores;

    @Option(
        names = "--memory",
        defaultValue = "3g",
        description = "Memory per Worker for executor heaps (default 3g).")
    String memory;

    @Option(names = "--port", defaultValue = "7077", description = "Master port (default 7077).")
    int port;

    @Option(
        names = "--ui-port",
        defaultValue = "8080",
        description = "Master web UI port (default 8080).")
    int uiPort;

    @Override
    public Integer call() {
      LocalCluster started =
          LocalCluster.start(
              LocalCluster.options(cluster.dir)
                  .optWorkers(workers)
                  .optCoresPerWorker(cores)
                  .optWorkerMemory(memory)
                  .optPorts(port, uiPort)
                  .optDistribution(SparkDistribution.of(Main.home()))
                  .build());
      // The standalone profile asks for 4-core, 4g executors with 2 cores per task, sized for
      // real workers; a Worker here offers fewer, and an executor no Worker can hold is never
      // started: the job waits for ever. The submit line printed fits these Workers.
      spec.commandLine()
          .getOut()
          .printf(
              "cluster: master %s, %d worker(s) x %d core(s), UI http://127.0.0.1:%d, logs in"
                  + " %s%n"
                  + "cluster: submit to it with executors that fit its Workers:%n"
                  + "  edl-dist submit --target standalone --master %s --conf"
                  + " spark.executor.cores=%d --conf spark.executor.memory=%s --conf"
                  + " spark.task.cpus=1 --conf spark.executorEnv.OMP_NUM_THREADS=1 -- --lake"
                  + " <lake> <command>%n"
                  + "cluster: or drive it from this JVM: edl-dist --config"
                  + " conf/local-cluster.conf <command>%n",
              started.masterUrl(),
              workers,
              cores,
              uiPort,
              cluster.dir.resolve("logs"),
              started.masterUrl(),
              cores,
              executorMemory(memory));
      return 0;
    }
  }

  /** An executor heap that fits a Worker of {@code workerMemory}: 1g, or all of a smaller one. */
  static String executorMemory(String workerMemory) {
    long mb = JavaUtils.byteStringAsMb(workerMemory);
    return mb >= 1024 ? "1g" : mb + "m";
  }

  @Command(
      name = "stop",
      mixinStandardHelpOptions = true,
      description = "Stop the cluster and its executors.")
  static final class Stop implements Callable<Integer> {
    @ParentCommand ClusterCommand cluster;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      LocalCluster.attach(cluster.dir).ifPresent(LocalCluster::close);
      spec.commandLine().getOut().println("cluster: stopped");
      return 0;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show the cluster's Master, Workers and applications; exit 3 when none runs.")
  static final class Status implements Callable<Integer> {
    @ParentCommand ClusterCommand cluster;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      var out = spec.commandLine().getOut();
      var status = LocalCluster.attach(cluster.dir).map(LocalCluster::status);
      if (status.isEmpty() || !status.get().alive()) {
        out.println("cluster: not running (start it with: edl-dist cluster start)");
        return Main.CHECK_FAILED;
      }
      var s = status.get();
      out.printf(
          "cluster: master %s alive, %d worker(s), %d core(s), applications %s%n",
          s.master(), s.aliveWorkers(), s.cores(), s.apps());
      return 0;
    }
  }
}
