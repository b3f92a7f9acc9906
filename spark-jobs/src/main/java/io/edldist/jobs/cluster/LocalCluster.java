package io.edldist.jobs.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edldist.jobs.runtime.Sessions;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on this machine: one Master and N Workers, each its own JVM bound
 * to 127.0.0.1, whose executors are JVMs of their own. Started from the jars this JVM runs with
 * (the Maven-resolved classpath), so no Spark download or installation is needed.
 *
 * <p>The Worker builds each executor's command from {@code SPARK_HOME}; it gets a minimal layout
 * (empty {@code jars/}, {@code conf/} and {@code launcher/target/scala-2.13/}) under the cluster
 * folder, and the application puts its own classpath on the executors through {@code
 * spark.executor.extraClassPath} (see {@link #executorSettings}). Daemons start through {@link
 * JvmProcess}. The daemons outlive the JVM that started them; their process ids are kept in {@code
 * <dir>/pids/}, so {@code edl-dist cluster stop} in a later process finds them. Logs go to {@code
 * <dir>/logs/}.
 */
public final class LocalCluster implements AutoCloseable {
  private static final String HOST = "127.0.0.1";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  /**
   * How to start the cluster ({@link #options}). With {@code pinWorkers}, Worker i runs on CPU (i -
   * 1) mod the CPU count ({@code taskset}), and so do the executors it forks: a one-core executor
   * then has one core, as a container's CPU limit gives it on YARN or Kubernetes, instead of
   * spilling its decoding, writing and garbage collection onto the machine's other cores. With a
   * {@code distribution} (a Spark distribution's folder, {@link SparkDistribution}), the daemons
   * and executors run from its {@code jars/} alone, as on a real cluster; without one, from this
   * JVM's classpath. With {@code gpusPerWorker}, each Worker offers that many GPUs, whose addresses
   * a discovery script reports.
   */
  public record Options(
      Path dir,
      int workers,
      int coresPerWorker,
      String workerMemory,
      int port,
      int uiPort,
      boolean pinWorkers,
      Path distribution,
      int gpusPerWorker,
      Path gpuDiscoveryScript) {
    public Options {
      if (workers < 1 || coresPerWorker < 1) {
        throw new IllegalArgumentException("workers and cores must be >= 1");
      }
    }
  }

  /** Options for a cluster in {@code dir}: 2 one-core Workers with 3g, free ports, by default. */
  public static Builder options(Path dir) {
    return new Builder(dir);
  }

  /** Builds {@link Options}. */
  public static final class Builder {
    private final Path dir;
    private int workers = 2;
    private int cores = 1;
    private String memory = "3g";
    private int port = -1;
    private int uiPort = -1;
    private boolean pinned;
    private Path distribution;
    private int gpus;
    private Path gpuScript;

    private Builder(Path dir) {
      this.dir = dir;
    }

    public Builder optWorkers(int value) {
      workers = value;
      return this;
    }

    public Builder optCoresPerWorker(int value) {
      cores = value;
      return this;
    }

    public Builder optWorkerMemory(String value) {
      memory = value;
      return this;
    }

    /** The Master's port and web UI port (default: free ports picked at random). */
    public Builder optPorts(int master, int ui) {
      port = master;
      uiPort = ui;
      return this;
    }

    /** Each Worker and its executors on one CPU. */
    public Builder optPinned() {
      pinned = true;
      return this;
    }

    /** Run from this Spark distribution's jars. */
    public Builder optDistribution(Path value) {
      distribution = value;
      return this;
    }

    /** Each Worker offers {@code count} GPUs whose addresses {@code script} reports. */
    public Builder optGpus(int count, Path script) {
      gpus = count;
      gpuScript = script;
      return this;
    }

    public Options build() {
      return new Options(
          dir,
          workers,
          cores,
          memory,
          port < 0 ? freePort() : port,
          uiPort < 0 ? freePort() : uiPort,
          pinned,
          distribution,
          gpus,
          gpuScript);
    }
  }

  /** One line per daemon, for {@code cluster status}. */
  public record Status(
      String master, boolean alive, int aliveWorkers, int cores, List<String> apps) {}

  private final Options options;

  private LocalCluster(Options options) {
    this.options = options;
  }

  /** Starts Master and Workers and waits until every Worker has registered. */
  public static LocalCluster start(Options options) {
    LocalCluster cluster = new LocalCluster(options);
    if (cluster.masterAlive()) {
      throw EdlException.invalid(
          "cluster in " + options.dir(),
          "a master already answers on http://" + HOST + ":" + options.uiPort(),
          "Stop it first: edl-dist cluster stop");
    }
    try {
      Files.createDirectories(options.dir().resolve("pids"));
      Files.createDirectories(options.dir().resolve("logs"));
      if (options.distribution() == null) {
        for (String d : List.of("jars", "conf", "launcher/target/scala-2.13")) {
          Files.createDirectories(cluster.sparkHome().resolve(d));
        }
      }
      Files.writeString(options.dir().resolve("master-url"), cluster.masterUrl());
      Files.writeString(options.dir().resolve("ui-port"), Integer.toString(options.uiPort()));
    } catch (IOException e) {
      throw EdlException.cannot(
          "create the cluster folder " + options.dir(), e, "Choose a writable --dir");
    }
    cluster.launch(
        "master",
        -1,
        List.of(
            "org.apache.spark.deploy.master.Master",
            "--host",
            HOST,
            "--port",
            Integer.toString(options.port()),
            "--webui-port",
            Integer.toString(options.uiPort())));
    cluster.awaitWorkers(0);
    for (int i = 1; i <= options.workers(); i++) {
      cluster.startWorker(i);
    }
    cluster.awaitWorkers(options.workers());
    return cluster;
  }

  /** The cluster a previous {@code start} left in {@code dir}, if its master still answers. */
  public static Optional<LocalCluster> attach(Path dir) {
    try {
      String url = Files.readString(dir.resolve("master-url")).strip();
      int uiPort = Integer.parseInt(Files.readString(dir.resolve("ui-port")).strip());
      int port = Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
      return Optional.of(new LocalCluster(options(dir).optPorts(port, uiPort).build()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  public String masterUrl() {
    return "spark://" + HOST + ":" + options.port();
  }

  /**
   * The settings a driver on this machine needs to run on the cluster: the master, its own
   * classpath for the executors, and the Scala version the Worker's command builder asks for.
   */
  public Map<String, String> executorSettings() {
    Map<String, String> s = new TreeMap<>();
    s.put("spark.master", masterUrl());
    s.putAll(Sessions.sameMachineExecutorSettings());
    return s;
  }

  /** The Worker with this number (1-based), started again after a kill. */
  public void startWorker(int number) {
    int cpu = options.pinWorkers() ? (number - 1) % Runtime.getRuntime().availableProcessors() : -1;
    launch(
        "worker-" + number,
        cpu,
        List.of(
            "org.apache.spark.deploy.worker.Worker",
            "--host",
            HOST,
            "--cores",
            Integer.toString(options.coresPerWorker()),
            "--memory",
            options.workerMemory(),
            "--webui-port",
            "0",
            "--work-dir",
            options.dir().resolve("work").toString(),
            masterUrl()));
  }

  /** Waits until exactly this many Workers are alive, as the Master sees them. */
  public void awaitWorkers(int alive) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<JsonNode> state = masterState();
      if (state.isPresent() && state.get().path("aliveworkers").asInt(-1) == alive) {
        return;
      }
      sleep(200);
    }
    throw EdlException.cannot(
        "start the local Spark cluster in " + options.dir(),
        new IllegalStateException(
            "the master did not report " + alive + " alive workers within " + START_TIMEOUT),
        "See the logs in " + options.dir().resolve("logs"));
  }

  /** Kills a Worker and its executors with SIGKILL, as a lost machine would. */
  public int killWorker(int number) {
    Optional<ProcessHandle> worker = daemon("worker-" + number);
    if (worker.isEmpty()) {
      return 0;
    }
    List<ProcessHandle> victims = new ArrayList<>(worker.get().descendants().toList());
    victims.add(worker.get());
    victims.forEach(ProcessHandle::destroyForcibly);
    victims.forEach(p -> p.onExit().join());
    return victims.size();
  }

  /**
   * The executor JVMs running now, over all Workers: a Worker's child processes (in client deploy
   * mode, the only processes a Worker starts are executors).
   */
  public List<ProcessHandle> executors() {
    List<ProcessHandle> found = new ArrayList<>();
    for (int i = 1; i <= workerCount(); i++) {
      daemon("worker-" + i).ifPresent(w -> w.children().forEach(found::add));
    }
    return found;
  }

  /**
   * Drivers the Master runs for cluster-deploy-mode submissions, by id with their state ({@code
   * SUBMITTED}, {@code RUNNING}, {@code FINISHED}, {@code FAILED} ...), oldest first.
   */
  public Map<String, String> drivers() {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    masterState()
        .ifPresent(
            s -> {
              for (String list : List.of("completeddrivers", "activedrivers")) {
                s.path(list).forEach(d -> out.put(d.path("id").asText(), d.path("state").asText()));
              }
            });
    return out;
  }

  public Status status() {
    Optional<JsonNode> state = masterState();
    if (state.isEmpty()) {
      return new Status(masterUrl(), false, 0, 0, List.of());
    }
    List<String> apps = new ArrayList<>();
    state.get().path("activeapps").forEach(a -> apps.add(a.path("name").asText()));
    return new Status(
        masterUrl(),
        true,
        state.get().path("aliveworkers").asInt(),
        state.get().path("cores").asInt(),
        apps);
  }

  /** Stops every daemon (and so the executors) and forgets the process ids. */
  @Override
  public void close() {
    for (int i = workerCount(); i >= 1; i--) {
      killWorker(i);
      deletePid("worker-" + i);
    }
    daemon("master")
        .ifPresent(
            m -> {
              m.destroy();
              if (m.onExit().completeOnTimeout(null, 10, TimeUnit.SECONDS).join() == null) {
                m.destroyForcibly();
              }
            });
    deletePid("master");
  }

  private int workerCount() {
    try (var files = Files.list(options.dir().resolve("pids"))) {
      return (int) files.filter(f -> f.getFileName().toString().startsWith("worker-")).count();
    } catch (IOException e) {
      return 0;
    }
  }

  private Path sparkHome() {
    return options.distribution() != null
        ? options.distribution()
        : options.dir().resolve("spark-home");
  }

  /** Starts a daemon JVM; on CPU {@code cpu} only when it is not negative. */
  private void launch(String name, int cpu, List<String> mainAndArgs) {
    JvmProcess jvm =
        JvmProcess.of(mainAndArgs.get(0))
            .args(mainAndArgs.subList(1, mainAndArgs.size()))
            .env("SPARK_HOME", sparkHome().toString())
            .env("SPARK_SCALA_VERSION", "2.13")
            .env("SPARK_LOCAL_IP", HOST);
    if (options.distribution() != null) {
      jvm.classpath(options.distribution().resolve("jars").toString() + "/*");
    }
    if (name.startsWith("worker-") && options.gpusPerWorker() > 0) {
      jvm.jvmOption("-Dspark.worker.resource.gpu.amount=" + options.gpusPerWorker());
      jvm.jvmOption("-Dspark.worker.resource.gpu.discoveryScript=" + options.gpuDiscoveryScript());
    }
    if (cpu >= 0) {
      jvm.pinnedTo(cpu);
    }
    Path log = options.dir().resolve("logs").resolve(name + ".log");
    Process p = jvm.start(log);
    try {
      Files.writeString(pidFile(name), Long.toString(p.pid()));
    } catch (IOException e) {
      throw EdlException.cannot("record the pid of the Spark " + name, e, "See " + log);
    }
  }

  private Optional<ProcessHandle> daemon(String name) {
    try {
      long pid = Long.parseLong(Files.readString(pidFile(name)).strip());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private Path pidFile(String name) {
    return options.dir().resolve("pids").resolve(name + ".pid");
  }

  private void deletePid(String name) {
    try {
      Files.deleteIfExists(pidFile(name));
    } catch (IOException e) {
      throw EdlException.cannot("delete " + pidFile(name), e, "Check the cluster folder");
    }
  }

  private boolean masterAlive() {
    return masterState().isPresent();
  }

  private Optional<JsonNode> masterState() {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://" + HOST + ":" + options.uiPort() + "/json/"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200
          ? Optional.of(new ObjectMapper().readTree(r.body()))
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw EdlException.cannot("find a free port on " + HOST, e, "Check the loopback interface");
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
