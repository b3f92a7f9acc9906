package io.edldist.jobs.train;

import io.edldist.jobs.lake.Lake;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Training checkpoints in the lake: {@code checkpoints/<run>/<model>/step-NNNNNNNNNN/} with the
 * parameters ({@code params.bin}), the optimizer state ({@code optimizer.bin}) and {@code
 * state.json} (step, epoch, seed). Each is written whole or not at all (temporary folder, then
 * rename), so a crash mid-write leaves the previous one usable; the two newest are kept. The RNG
 * state is the pair (seed, step): the data order is a pure function of seed and epoch, and the
 * student has no dropout, so nothing else is random after initialisation.
 */
final class Checkpoints {
  /** A checkpoint read back. */
  record Saved(long step, byte[] params, byte[] optimizer) {}

  private static final String PREFIX = "step-";
  private final Lake lake;
  private final String folder;

  Checkpoints(Lake lake, String runId, String model) {
    this.lake = lake;
    this.folder = "checkpoints/" + runId + "/" + model;
  }

  String folder() {
    return lake.path(folder);
  }

  void save(long step, int epoch, long seed, byte[] params, byte[] optimizer) {
    String state = "{\"step\": " + step + ", \"epoch\": " + epoch + ", \"seed\": " + seed + "}\n";
    lake.writeFolder(
        folder + "/" + name(step),
        Map.of(
            "params.bin", params,
            "optimizer.bin", optimizer,
            "state.json", state.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    List<String> all = steps();
    for (int i = 0; i < all.size() - 2; i++) {
      lake.delete(folder + "/" + all.get(i));
    }
  }

  Optional<Saved> latest() {
    List<String> all = steps();
    if (all.isEmpty()) {
      return Optional.empty();
    }
    String last = all.get(all.size() - 1);
    String dir = folder + "/" + last;
    return Optional.of(
        new Saved(
            Long.parseLong(last.substring(PREFIX.length())),
            lake.readBytes(dir + "/params.bin"),
            lake.readBytes(dir + "/optimizer.bin")));
  }

  private List<String> steps() {
    return lake.list(folder).stream()
        .filter(n -> n.startsWith(PREFIX) && !n.contains(".tmp-"))
        .sorted()
        .toList();
  }

  private static String name(long step) {
    return String.format("%s%010d", PREFIX, step);
  }
}
