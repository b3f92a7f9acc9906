package io.edldist.udfs.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.edldist.udfs.EdlException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model as bytes: its {@link ModelMeta} and its files ({@code model-0000.params} for DJL blocks,
 * {@code model.pt} for TorchScript). This is the unit the model store reads and writes and the
 * driver broadcasts to executors, so executors never need access to the lake's file system to load
 * a teacher. The version is a hash of the files and the architecture, so the same weights always
 * get the same version.
 */
public final class ModelBundle implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final String META_FILE = "model.json";
  static final String PREFIX = "model";

  private final ModelMeta meta;
  private final TreeMap<String, byte[]> files;

  private ModelBundle(ModelMeta meta, Map<String, byte[]> files) {
    this.meta = meta;
    this.files = new TreeMap<>(files);
  }

  public ModelMeta meta() {
    return meta;
  }

  /** Weight files by name, without {@code model.json}. */
  public Map<String, byte[]> files() {
    return java.util.Collections.unmodifiableMap(files);
  }

  public long sizeBytes() {
    return files.values().stream().mapToLong(b -> b.length).sum();
  }

  /** Bundles the weights of a DJL block built from {@link Architectures}. */
  public static ModelBundle ofBlock(ModelMeta meta, Model model) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("edl-dist-save");
      model.save(dir, PREFIX);
      Map<String, byte[]> files = new TreeMap<>();
      try (var paths = Files.list(dir)) {
        for (Path p : paths.toList()) {
          files.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
      }
      long params = countParameters(model.getBlock());
      ModelMeta full =
          new ModelMeta(
              meta.name(),
              "",
              ModelMeta.DJL,
              meta.arch(),
              meta.hidden(),
              meta.inputShape(),
              meta.classes(),
              params);
      return withHash(full, files);
    } catch (IOException e) {
      throw EdlException.cannot(
          "save model " + meta.name(), e, "Check free space in the temporary folder");
    } finally {
      deleteQuietly(dir);
    }
  }

  /** Bundles a TorchScript file exported from PyTorch. */
  public static ModelBundle ofTorchScript(String name, byte[] pt, int[] inputShape, int classes) {
    ModelMeta meta =
        new ModelMeta(name, "", ModelMeta.TORCHSCRIPT, "torchscript", 0, inputShape, classes, 0);
    return withHash(meta, Map.of(PREFIX + ".pt", pt));
  }

  /** Rebuilds a bundle read back from the store; checks the content hash. */
  public static ModelBundle of(ModelMeta meta, Map<String, byte[]> files, String source) {
    ModelBundle bundle = withHash(meta, files);
    if (!bundle.meta.version().equals(meta.version())) {
      throw EdlException.invalid(
          "model " + source,
          "its files hash to " + bundle.meta.version() + " but model.json says " + meta.version(),
          "The model is corrupt or was edited; re-create it (train-teacher, train) or re-import it.");
    }
    return bundle;
  }

  private static ModelBundle withHash(ModelMeta meta, Map<String, byte[]> files) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(
          (meta.format() + "|" + meta.arch() + "|" + meta.hidden() + "|" + meta.classes())
              .getBytes(StandardCharsets.UTF_8));
      for (var e : new TreeMap<>(files).entrySet()) {
        sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
        sha.update(e.getValue());
      }
      String version = HexFormat.of().formatHex(sha.digest()).substring(0, 12);
      return new ModelBundle(meta.withVersion(version), files);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Loads the model into libtorch. The caller owns the returned model and closes it. Files are
   * written to a local temporary folder first, since DJL loads from a path.
   */
  public Model load() {
    return load(Device.cpu());
  }

  /** Loads the model onto {@code device}; the caller owns and closes it. */
  public Model load(Device device) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("edl-dist-" + meta.name() + "-" + meta.version());
      for (var e : files.entrySet()) {
        Files.write(dir.resolve(e.getKey()), e.getValue());
      }
      Model model = Model.newInstance(meta.name(), device, "PyTorch");
      try {
        if (ModelMeta.DJL.equals(meta.format())) {
          Block block = Architectures.build(meta);
          block.initialize(model.getNDManager(), DataType.FLOAT32, inputShape(1));
          model.setBlock(block);
        }
        model.load(dir, PREFIX);
        return model;
      } catch (IOException | MalformedModelException | RuntimeException e) {
        model.close();
        throw e;
      }
    } catch (IOException | MalformedModelException | RuntimeException e) {
      if (e instanceof EdlException ee) {
        throw ee;
      }
      throw EdlException.cannot(
          "load model " + meta.id() + " (" + meta.format() + ")",
          e,
          "Check that the file is a " + formatHint() + " and was saved completely");
    } finally {
      deleteQuietly(dir);
    }
  }

  /** Input shape for a batch of {@code batch} samples. */
  public Shape inputShape(long batch) {
    return batchShape(meta.inputShape(), batch);
  }

  /** The shape of {@code batch} samples of the given shape. */
  public static Shape batchShape(int[] sampleShape, long batch) {
    long[] dims = new long[sampleShape.length + 1];
    dims[0] = batch;
    for (int i = 0; i < sampleShape.length; i++) {
      dims[i + 1] = sampleShape[i];
    }
    return new Shape(dims);
  }

  private String formatHint() {
    return ModelMeta.TORCHSCRIPT.equals(meta.format())
        ? "TorchScript module saved with torch.jit.trace(...).save() or torch.jit.script(...).save()"
        : "DJL parameter file written by edl-dist";
  }

  /** Trainable parameters of an initialised block. */
  public static long countParameters(Block block) {
    long n = 0;
    for (Pair<String, Parameter> p : block.getParameters()) {
      if (p.getValue().isInitialized()) {
        n += p.getValue().getArray().size();
      }
    }
    return n;
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary folder left behind is harmless
    }
  }
}
