package io.edldist.jobs.cli;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes sure the default dataset is there: when --data is the Debian Fashion-MNIST folder and it is
 * missing, installs the package if this process may (root with apt-get), else stops with the one
 * command to run.
 */
final class Datasets {
  static final String PACKAGE = "dataset-fashion-mnist";

  private Datasets() {}

  static void ensure(EdlConfig config, PrintWriter err) {
    String data = config.get(EdlConfig.DATA);
    if (!data.equals(EdlConfig.DATA.defaultValue()) || Files.isDirectory(Path.of(data))) {
      return;
    }
    String command = "apt-get install -y " + PACKAGE;
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root && Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
      err.println("edl-dist: installing Fashion-MNIST: " + command);
      err.flush();
      try {
        Process p =
            new ProcessBuilder("apt-get", "install", "-y", "-q", PACKAGE).inheritIO().start();
        if (p.waitFor() == 0 && Files.isDirectory(Path.of(data))) {
          return;
        }
      } catch (IOException e) {
        // reported below
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    throw EdlException.cannot(
        "find Fashion-MNIST in " + data,
        "the " + PACKAGE + " package is not installed",
        "Run: sudo " + command + " (or pass --data DIR with an idx folder)");
  }
}
