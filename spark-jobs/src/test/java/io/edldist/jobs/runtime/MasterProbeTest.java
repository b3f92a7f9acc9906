package io.edldist.jobs.runtime;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real sockets on 127.0.0.1: one that listens, one that does not. */
class MasterProbeTest {
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void aListeningMasterPassesAndAnyOfSeveralIsEnough() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String url = "spark://127.0.0.1:" + closedPort() + ",127.0.0.1:" + s.getLocalPort();
      assertThatCode(() -> MasterProbe.check(url, "--master", Map.of())).doesNotThrowAnyException();
    }
  }

  @Test
  void anUnknownOrSilentMasterIsOneLineNamingItAndTheSetting() throws IOException {
    assertThatThrownBy(
            () -> MasterProbe.check("spark://spark-master.invalid:7077", "--master", Map.of()))
        .isInstanceOf(EdlException.class)
        .hasMessage(
            "Cannot reach the Spark master spark://spark-master.invalid:7077: unknown host"
                + " spark-master.invalid. Start the master, or set --master to a running one");
    int port = closedPort();
    assertThatThrownBy(() -> MasterProbe.check("spark://127.0.0.1:" + port, "x", Map.of()))
        .hasMessageStartingWith("Cannot reach the Spark master spark://127.0.0.1:" + port)
        .hasMessageContaining("refused");
  }

  @Test
  void kubernetesApiServerIsProbedOnItsPort() throws IOException {
    int port = closedPort();
    assertThatThrownBy(
            () -> MasterProbe.check("k8s://https://127.0.0.1:" + port, "--master", Map.of()))
        .hasMessageStartingWith("Cannot reach the Kubernetes API server k8s://https://127.0.0.1:")
        .hasMessageContaining("k8s://https://<api-server>:<port>");
  }

  @Test
  void yarnNeedsItsConfigurationFolderAndAnAnsweringResourceManager(@TempDir Path conf)
      throws IOException {
    assertThatThrownBy(() -> MasterProbe.check("yarn", "--master", Map.of()))
        .hasMessageStartingWith("Cannot submit to YARN: neither HADOOP_CONF_DIR nor YARN_CONF_DIR")
        .hasMessageContaining("Export HADOOP_CONF_DIR=");
    int rm1 = closedPort();
    Files.writeString(
        conf.resolve("yarn-site.xml"),
        "<configuration>"
            + property("yarn.resourcemanager.ha.enabled", "true")
            + property("yarn.resourcemanager.ha.rm-ids", "rm1,rm2")
            + property("yarn.resourcemanager.hostname.rm1", "127.0.0.1")
            + property(
                "yarn.resourcemanager.address.rm1", "${yarn.resourcemanager.hostname.rm1}:" + rm1)
            + property("yarn.resourcemanager.address.rm2", "127.0.0.1:" + rm1)
            + "</configuration>");
    Map<String, String> env = Map.of("HADOOP_CONF_DIR", conf.toString());
    assertThatThrownBy(() -> MasterProbe.check("yarn", "--master", env))
        .hasMessageStartingWith(
            "Cannot reach the YARN ResourceManager at 127.0.0.1:"
                + rm1
                + ",127.0.0.1:"
                + rm1
                + " (yarn.resourcemanager.address in "
                + conf.resolve("yarn-site.xml"));
    try (ServerSocket rm = new ServerSocket(rm1, 1, InetAddress.getLoopbackAddress())) {
      assertThatCode(() -> MasterProbe.check("yarn", "--master", env)).doesNotThrowAnyException();
    }
  }

  @Test
  void localNeedsNoProbe() {
    assertThatCode(() -> MasterProbe.check("local[2]", "--master", Map.of()))
        .doesNotThrowAnyException();
  }

  private static String property(String name, String value) {
    return "<property><name>" + name + "</name><value>" + value + "</value></property>";
  }
}
