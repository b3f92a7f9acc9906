package io.edldist.jobs.runtime;

import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * Fails fast, with one line, when the cluster manager a master URL names does not answer. Left to
 * Spark, a standalone master that does not resolve ends after 20 s of retries with "LiveListenerBus
 * is stopped", a YARN client retries the ResourceManager for minutes, and a Kubernetes client waits
 * on its API server. The probe opens one TCP connection (3 s) to each address the URL names and is
 * satisfied by any that answers: {@code spark://h1:p1,h2:p2}, {@code k8s://https://h:p} (port 443
 * by default) and {@code yarn}, whose ResourceManager addresses come from {@code yarn-site.xml} in
 * {@code $HADOOP_CONF_DIR} or {@code $YARN_CONF_DIR} (HA ids included), as the YARN client reads
 * them. {@code local*} needs no probe.
 */
public final class MasterProbe {
  private static final int TIMEOUT_MS = 3000;

  private MasterProbe() {}

  /**
   * Checks that {@code master} answers.
   *
   * @param setting where the master was set, for the fix: "--master or spark.master in …"
   * @param env the environment that names the Hadoop configuration folder
   */
  public static void check(String master, String setting, Map<String, String> env) {
    List<InetSocketAddress> addresses;
    String what;
    String fix;
    if (master.startsWith("spark://")) {
      addresses = new ArrayList<>();
      for (String hostPort : master.substring("spark://".length()).split(",")) {
        addresses.add(address(hostPort, 7077));
      }
      what = "the Spark master " + master;
      fix = "Start the master, or set " + setting + " to a running one";
    } else if (master.startsWith("k8s://")) {
      String api = master.substring("k8s://".length());
      URI uri = URI.create(api.contains("://") ? api : "https://" + api);
      int port = uri.getPort() > 0 ? uri.getPort() : "http".equals(uri.getScheme()) ? 80 : 443;
      addresses = List.of(InetSocketAddress.createUnresolved(uri.getHost(), port));
      what = "the Kubernetes API server " + master;
      fix =
          "Set "
              + setting
              + " to k8s://https://<api-server>:<port> (kubectl cluster-info prints it)";
    } else if (master.equals("yarn")) {
      Path confDir = hadoopConfDir(env);
      addresses = resourceManagers(confDir);
      what =
          "the YARN ResourceManager at "
              + String.join(",", addresses.stream().map(MasterProbe::text).toList())
              + " (yarn.resourcemanager.address in "
              + confDir.resolve("yarn-site.xml")
              + ")";
      fix = "Point HADOOP_CONF_DIR at the cluster's configuration, or start the ResourceManager";
    } else {
      return;
    }
    String problem = null;
    for (InetSocketAddress a : addresses) {
      problem = connect(a);
      if (problem == null) {
        return;
      }
    }
    throw EdlException.cannot("reach " + what, problem, fix);
  }

  /** Null when {@code address} accepts a connection, else why not. */
  private static String connect(InetSocketAddress address) {
    try (Socket socket = new Socket()) {
      InetSocketAddress resolved =
          new InetSocketAddress(address.getHostString(), address.getPort());
      if (resolved.isUnresolved()) {
        return "unknown host " + address.getHostString();
      }
      socket.connect(resolved, TIMEOUT_MS);
      return null;
    } catch (UnknownHostException e) {
      return "unknown host " + address.getHostString();
    } catch (IOException e) {
      return text(address) + ": " + (e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  private static Path hadoopConfDir(Map<String, String> env) {
    for (String name : List.of("HADOOP_CONF_DIR", "YARN_CONF_DIR")) {
      String dir = env.get(name);
      if (dir != null && !dir.isBlank() && Files.isRegularFile(Path.of(dir, "yarn-site.xml"))) {
        return Path.of(dir);
      }
    }
    throw EdlException.cannot(
        "submit to YARN",
        "neither HADOOP_CONF_DIR nor YARN_CONF_DIR names a folder with yarn-site.xml",
        "Export HADOOP_CONF_DIR=<the cluster's Hadoop configuration folder> first");
  }

  /** The ResourceManager addresses yarn-site.xml names, one per HA id. */
  static List<InetSocketAddress> resourceManagers(Path confDir) {
    Configuration conf = new Configuration(false);
    conf.addResource(new org.apache.hadoop.fs.Path(confDir.resolve("yarn-site.xml").toUri()));
    List<String> ids = new ArrayList<>();
    if (conf.getBoolean("yarn.resourcemanager.ha.enabled", false)) {
      ids.addAll(conf.getTrimmedStringCollection("yarn.resourcemanager.ha.rm-ids"));
    }
    if (ids.isEmpty()) {
      ids.add(null);
    }
    List<InetSocketAddress> out = new ArrayList<>();
    for (String id : ids) {
      String suffix = id == null ? "" : "." + id;
      String host = conf.get("yarn.resourcemanager.hostname" + suffix, "0.0.0.0");
      String address = conf.get("yarn.resourcemanager.address" + suffix, host + ":8032");
      out.add(address(address, 8032));
    }
    return out;
  }

  private static InetSocketAddress address(String hostPort, int defaultPort) {
    int colon = hostPort.lastIndexOf(':');
    return colon < 0
        ? InetSocketAddress.createUnresolved(hostPort.strip(), defaultPort)
        : InetSocketAddress.createUnresolved(
            hostPort.substring(0, colon).strip(),
            Integer.parseInt(hostPort.substring(colon + 1).strip()));
  }

  private static String text(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }
}
