package io.edldist.udfs.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * What the model store knows about a model besides its weights: how to rebuild it and what it
 * expects. Stored as {@code model.json} beside the weights.
 *
 * @param name model name in the store, e.g. {@code teacher}
 * @param version content hash of weights and architecture (12 hex digits)
 * @param format {@code djl} (weights for an {@link Architectures} block) or {@code torchscript}
 * @param arch architecture name for {@code djl} models; {@code torchscript} otherwise
 * @param hidden width of the hidden layer for MLPs, 0 otherwise
 * @param inputShape shape of one sample, e.g. [1, 28, 28]
 * @param classes number of output classes
 * @param params number of trainable parameters (0 when unknown, e.g. TorchScript)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelMeta(
    String name,
    String version,
    String format,
    String arch,
    int hidden,
    int[] inputShape,
    int classes,
    long params)
    implements Serializable {

  public static final String DJL = "djl";
  public static final String TORCHSCRIPT = "torchscript";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A DJL model about to be trained: version and parameter count are set when it is saved. */
  public static ModelMeta untrained(
      String name, String arch, int hidden, int[] inputShape, int classes) {
    return new ModelMeta(name, "", DJL, arch, hidden, inputShape, classes, 0);
  }

  /** The id soft labels carry: model name and content hash. */
  public String id() {
    return name + "@" + version;
  }

  public ModelMeta withVersion(String newVersion) {
    return new ModelMeta(name, newVersion, format, arch, hidden, inputShape, classes, params);
  }

  public String toJson() {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ModelMeta fromJson(String json) throws IOException {
    return JSON.readValue(json, ModelMeta.class);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelMeta m
        && name.equals(m.name)
        && version.equals(m.version)
        && format.equals(m.format)
        && arch.equals(m.arch)
        && hidden == m.hidden
        && Arrays.equals(inputShape, m.inputShape)
        && classes == m.classes
        && params == m.params;
  }

  @Override
  public int hashCode() {
    return 31 * id().hashCode() + Arrays.hashCode(inputShape);
  }

  @Override
  public String toString() {
    return id() + " (" + arch + ", input " + Arrays.toString(inputShape) + ")";
  }
}
