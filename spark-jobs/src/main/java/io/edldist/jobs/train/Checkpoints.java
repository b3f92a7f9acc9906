package io.edldist.jobs.train;

import io.edldist.jobs.lake.Lake;
import io.edldist.udfs.EdlException;
import java.util.List;
import java.util.Optional;

/**
 * Training checkpoints in the lake: {@code checkpoints/<run>/<model>/step-NNNNNNNNNN/} with the
 * parameters ({@code params.bin}), the optimizer state ({@code optimizer.bin}), {@code
 * settings.txt} (everything that decides the batches and the updates: seed, epochs, batch size,
 * learning rate and schedule, loss, data size) and, written last, {@code _COMMITTED}. A folder
 * without the marker is ignored, so a crash mid-write leaves the previous checkpoint in use; no
 * rename is needed, so an object store works the same. The two newest are kept and all are deleted
 * when the run finishes. The RNG state is the pair (seed, step): the data order is a pure function
 * of seed and epoch and the models have no dropout, so nothing else is random after initialisation.
 */
final class Checkpoints {
  /** A checkpoint read back. */
  record Saved(long step, String settings, byte[] params, byte[] optimizer) {}

  private static final String PREFIX = "step-";
  private static final String COMMITTED = "_COMMITTED";
  private final Lake lake;
  private final String folder;

  Checkpoints(Lake lake, String runId, String model) {
    this.lake = lake;
    this.folder = "checkpoints/" + runId + "/" + model;
  }

  String folder() {
    return lake.path(folder);
  }

  void save(long step, String settings, byte[] params, byte[] optimizer) {
    String dir = folder + "/" + name(step);
    lake.writeBytes(dir + "/params.bin", params);
    lake.writeBytes(dir + "/optimizer.bin", optimizer);
    lake.writeString(dir + "/settings.txt", settings);
    lake.writeString(dir + "/" + COMMITTED, "");
    List<String> all = committed();
    for (int i = 0; i < all.size() - 2; i++) {
      lake.delete(folder + "/" + all.get(i));
    }
  }

  /** The newest complete checkpoint; an unreadable one falls back to the one before it. */
  Optional<Saved> latest() {
    List<String> all = committed();
    for (int i = all.size() - 1; i >= 0; i--) {
      String dir = folder + "/" + all.get(i);
      try {
        return Optional.of(
            new Saved(
                Long.parseLong(all.get(i).substring(PREFIX.length())),
                lake.readString(dir + "/settings.txt"),
                lake.readBytes(dir + "/params.bin"),
                lake.readBytes(dir + "/optimizer.bin")));
      } catch (EdlException e) {
        System.err.println("checkpoint " + lake.path(dir) + " is unreadable, trying an older one");
      }
    }
    return Optional.empty();
  }

  /** Removes this run's checkpoints: the run finished and its model is in the store. */
  void clear() {
    lake.delete(folder);
  }

  private List<String> committed() {
    return lake.list(folder).stream()
        .filter(n -> n.startsWith(PREFIX))
        .filter(n -> lake.exists(folder + "/" + n + "/" + COMMITTED))
        .sorted()
        .toList();
  }

  private static String name(long step) {
    return String.format("%s%010d", PREFIX, step);
  }
}
