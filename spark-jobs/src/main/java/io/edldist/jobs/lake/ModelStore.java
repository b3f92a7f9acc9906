package io.edldist.jobs.lake;

import io.edldist.udfs.EdlException;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelMeta;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Models in the lake: {@code models/<name>/<version>/} holds the weight files and {@code
 * model.json}; {@code models/<name>/LATEST} names the version written last. Versions are content
 * hashes, so saving the same weights twice is a no-op and a version never changes meaning.
 */
public final class ModelStore {
  private final Lake lake;

  public ModelStore(Lake lake) {
    this.lake = lake;
  }

  public String folder(ModelMeta meta) {
    return "models/" + meta.name() + "/" + meta.version();
  }

  public ModelBundle save(ModelBundle bundle) {
    ModelMeta meta = bundle.meta();
    if (!lake.exists(folder(meta) + "/" + ModelBundle.META_FILE)) {
      Map<String, byte[]> files = new TreeMap<>(bundle.files());
      files.put(ModelBundle.META_FILE, meta.toJson().getBytes(StandardCharsets.UTF_8));
      lake.writeFolder(folder(meta), files);
    }
    lake.writeString("models/" + meta.name() + "/LATEST", meta.version());
    return bundle;
  }

  /** The version written last under this name, if any. */
  public Optional<ModelBundle> latest(String name) {
    return lake.readIfExists("models/" + name + "/LATEST").map(v -> load(name, v.trim()));
  }

  public ModelBundle latestOrFail(String name, String producedBy) {
    return latest(name)
        .orElseThrow(
            () ->
                EdlException.cannot(
                    "find model '" + name + "'",
                    "the model store " + lake.path("models/" + name) + " holds no version",
                    "Run '" + producedBy + "' first"));
  }

  public ModelBundle load(String name, String version) {
    String dir = "models/" + name + "/" + version;
    if (!lake.exists(dir + "/" + ModelBundle.META_FILE)) {
      throw EdlException.cannot(
          "load model " + name + "@" + version,
          "no model.json in " + lake.path(dir),
          "Check the name and version (edl-dist sql \"...\" lists teacher ids in soft_labels)");
    }
    try {
      ModelMeta meta = ModelMeta.fromJson(lake.readString(dir + "/" + ModelBundle.META_FILE));
      Map<String, byte[]> files = new TreeMap<>();
      for (String f : lake.list(dir)) {
        if (!f.equals(ModelBundle.META_FILE)) {
          files.put(f, lake.readBytes(dir + "/" + f));
        }
      }
      return ModelBundle.of(meta, files, lake.path(dir));
    } catch (IOException e) {
      throw EdlException.cannot(
          "read " + lake.path(dir + "/model.json"),
          e,
          "Re-create the model; its metadata is corrupt");
    }
  }

  public long sizeOnDisk(ModelMeta meta) {
    return lake.size(folder(meta));
  }
}
