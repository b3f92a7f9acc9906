package io.edldist.udfs.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam whose state (first and second moments per parameter, step count) can be saved in a
 * checkpoint and restored, so a resumed run continues exactly. DJL's own Adam keeps that state
 * private. The update itself is DJL's fused engine kernel (the same call DJL's Adam makes), which
 * also clears the gradient.
 */
public final class Adam {
  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPSILON = 1e-8f;

  private final float learningRate;
  private final Map<String, NDArray> means = new LinkedHashMap<>();
  private final Map<String, NDArray> variances = new LinkedHashMap<>();
  private long steps;

  public Adam(float learningRate) {
    this.learningRate = learningRate;
  }

  /**
   * The parameters of the block that take a gradient, marked to record one. Batch-norm running
   * statistics are parameters too but are updated by the forward pass, not by the optimiser.
   */
  public static List<Pair<String, Parameter>> trainable(Block block) {
    List<Pair<String, Parameter>> params =
        block.getParameters().stream().filter(p -> p.getValue().requiresGradient()).toList();
    params.forEach(p -> p.getValue().getArray().setRequiresGradient(true));
    return params;
  }

  public long steps() {
    return steps;
  }

  /**
   * One update of every parameter from its gradient, at {@code scale} times the base learning rate
   * (the schedule's factor for this step).
   */
  public void step(List<Pair<String, Parameter>> parameters, double scale) {
    steps++;
    double coef1 = 1.0 - Math.pow(BETA1, steps);
    double coef2 = 1.0 - Math.pow(BETA2, steps);
    float lr = (float) (learningRate * scale);
    float corrected = (float) (lr * Math.sqrt(coef2) / coef1);
    for (Pair<String, Parameter> p : parameters) {
      NDArray weight = p.getValue().getArray();
      NDArray mean = means.computeIfAbsent(p.getKey(), k -> weight.zerosLike());
      NDArray variance = variances.computeIfAbsent(p.getKey(), k -> weight.zerosLike());
      try (NDArray grad = weight.getGradient()) {
        weight
            .getNDArrayInternal()
            .adamUpdate(
                new NDList(weight, grad, mean, variance),
                new NDList(weight),
                lr,
                corrected,
                0f,
                1f,
                -1f,
                BETA1,
                BETA2,
                EPSILON,
                true,
                false);
      }
    }
  }

  public byte[] save() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(steps);
      out.writeInt(means.size());
      for (String name : means.keySet()) {
        out.writeUTF(name);
        byte[] state = new NDList(means.get(name), variances.get(name)).encode();
        out.writeInt(state.length);
        out.write(state);
      }
    }
    return bytes.toByteArray();
  }

  public void load(byte[] saved, NDManager manager) throws IOException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(saved))) {
      steps = in.readLong();
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        String name = in.readUTF();
        byte[] state = in.readNBytes(in.readInt());
        NDList list = NDList.decode(manager, state);
        means.put(name, list.get(0));
        variances.put(name, list.get(1));
      }
    }
  }
}
