package io.edldist.jobs.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import io.edldist.udfs.model.Architectures;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelMeta;

/** Creates fresh, seeded models to train. */
public final class Models {
  private Models() {}

  /** A new model of the given architecture on the CPU, weights initialised from {@code seed}. */
  public static Model create(ModelMeta meta, long seed) {
    return create(meta, seed, Device.cpu());
  }

  /** A new model on {@code device}, weights initialised from {@code seed}. */
  public static Model create(ModelMeta meta, long seed, Device device) {
    Engine.getInstance().setRandomSeed((int) seed);
    Block block = Architectures.build(meta);
    Model model = Model.newInstance(meta.name(), device, "PyTorch");
    block.initialize(
        model.getNDManager(), DataType.FLOAT32, ModelBundle.batchShape(meta.inputShape(), 1));
    model.setBlock(block);
    return model;
  }
}
