package io.edldist.jobs.cli;

import io.edldist.jobs.cluster.LocalCluster;
import io.edldist.udfs.EdlException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = {
      "Start, stop or inspect a Spark standalone cluster on this machine (Master and Workers as"
          + " separate JVMs on 127.0.0.1, executors as JVMs of their own), from the project's own"
          + " jars.",
      "Then run any command on it: edl-dist --config conf/local-cluster.conf infer"
    })
final class ClusterCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "start, stop or status.")
  String action;

  @Option(
      names = "--dir",
      defaultValue = "cluster",
      description = "Folder for pids, logs and executor work dirs (default ./cluster).")
  Path dir;

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
    switch (action) {
      case "start" -> {
        var options = new LocalCluster.Options(dir, workers, cores, memory, port, uiPort, false);
        LocalCluster cluster = LocalCluster.start(options);
        System.out.printf(
            "cluster: master %s, %d worker(s) x %d core(s), UI http://127.0.0.1:%d, logs in %s%n",
            cluster.masterUrl(), workers, cores, uiPort, dir.resolve("logs"));
      }
      case "stop" -> {
        LocalCluster.attach(dir).ifPresent(LocalCluster::close);
        System.out.println("cluster: stopped");
      }
      case "status" -> {
        var status = LocalCluster.attach(dir).map(LocalCluster::status);
        if (status.isEmpty() || !status.get().alive()) {
          System.out.println("cluster: not running (start it with: edl-dist cluster start)");
          return 3;
        }
        var s = status.get();
        System.out.printf(
            "cluster: master %s alive, %d worker(s), %d core(s), applications %s%n",
            s.master(), s.aliveWorkers(), s.cores(), s.apps());
      }
      default ->
          throw EdlException.invalid(
              "cluster action '" + action + "'", "unknown action", "Use start, stop or status");
    }
    return 0;
  }
}
