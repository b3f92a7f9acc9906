package io.edldist.jobs.lake;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.BatchTranslator;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.ModelMeta;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Models in the lake: {@code models/<name>/<version>/} holds the weight files and {@code
 * model.json}; {@code models/<name>/LATEST} names the version written last. Versions are content
 * hashes, so saving the same weights twice is a no-op and a version never changes meaning.
 *
 * <p>It also resolves "the teacher" every stage means ({@link #teacher}): a TorchScript file the
 * user names, or the latest stored version. Resolving reads; only {@link #save} writes.
 */
public final class ModelStore {
  private final Lake lake;

  public ModelStore(Lake lake) {
    this.lake = lake;
  }

  public String folder(ModelMeta meta) {
    return "models/" + meta.name() + "/" + meta.version();
  }

  /**
   * Stores a version: its weight files, then {@code model.json} (which readers require, so a
   * version without it is not there yet), then the {@code LATEST} pointer. A version is a content
   * hash, so two writers of one version write the same bytes.
   */
  public ModelBundle save(ModelBundle bundle) {
    ModelMeta meta = bundle.meta();
    String dir = folder(meta);
    if (!lake.exists(dir + "/" + ModelBundle.META_FILE)) {
      bundle.files().forEach((name, bytes) -> lake.writeBytes(dir + "/" + name, bytes));
      lake.writeString(dir + "/" + ModelBundle.META_FILE, meta.toJson());
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

  /**
   * The teacher: the TorchScript file {@code torchScriptPath} when it is not empty (read through
   * Hadoop's FileSystem, bundled for the samples' shape and classes, not stored), else the latest
   * stored version of {@code name}.
   */
  public ModelBundle teacher(String name, String torchScriptPath, SamplesMeta samples) {
    if (torchScriptPath.isEmpty()) {
      return latestOrFail(name, "edl-dist train-teacher");
    }
    byte[] pt = lake.readExternal(torchScriptPath, "teacher.path");
    return ModelBundle.ofTorchScript(name, pt, samples.features().shape(), samples.classes());
  }

  /**
   * Loads the teacher here and runs one sample through it, so a broken or mismatched model fails in
   * seconds with one error, before any executor is asked to load it.
   */
  public static void check(ModelBundle teacher, Features features) {
    ModelMeta meta = teacher.meta();
    if (ModelMeta.DJL.equals(meta.format())
        && !Arrays.equals(meta.inputShape(), features.shape())) {
      throw EdlException.invalid(
          "teacher " + meta.id(),
          "it takes samples of shape "
              + Arrays.toString(meta.inputShape())
              + " but samples holds "
              + Arrays.toString(features.shape()),
          "Train a teacher on this data (edl-dist train-teacher) or ingest matching data");
    }
    int out = outputsPerSample(ModelCache.get(teacher), meta, features);
    if (out != meta.classes()) {
      throw EdlException.invalid(
          "teacher " + meta.id(),
          "it returns "
              + out
              + " values per sample but the data has "
              + meta.classes()
              + " classes",
          "Use a teacher trained for these classes");
    }
  }

  /**
   * Bundles a TorchScript file for samples of this shape, its classes counted by running one sample
   * through it here (loaded, used once, closed), so a broken file fails before any task does.
   */
  public static ModelBundle torchScript(String name, byte[] pt, Features features) {
    ModelBundle probe = ModelBundle.ofTorchScript(name, pt, features.shape(), 0);
    try (Model model = probe.load()) {
      int classes = outputsPerSample(model, probe.meta(), features);
      return ModelBundle.ofTorchScript(name, pt, features.shape(), classes);
    }
  }

  private static int outputsPerSample(Model model, ModelMeta meta, Features features) {
    try (Predictor<BatchTranslator.Batch, float[]> p = model.newPredictor(new BatchTranslator())) {
      return p.predict(
              new BatchTranslator.Batch(new float[features.size()], 1, features.longShape()))
          .length;
    } catch (TranslateException | RuntimeException e) {
      if (e instanceof EdlException ee) {
        throw ee;
      }
      throw EdlException.cannot(
          "run teacher "
              + meta.id()
              + " on one sample of shape "
              + Arrays.toString(features.shape()),
          e,
          "Check that the teacher takes float input [batch, "
              + features.shapeString()
              + "] scaled to [0, 1]");
    }
  }

  public long sizeOnDisk(ModelMeta meta) {
    return lake.size(folder(meta));
  }
}
