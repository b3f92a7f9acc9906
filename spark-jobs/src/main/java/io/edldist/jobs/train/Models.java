package io.edldist.jobs.train;

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

  /** A new model of the given architecture with weights initialised from {@code seed}. */
  public static Model create(ModelMeta meta, long seed) {
    Engine.getInstance().setRandomSeed((int) seed);
    Block block = Architectures.build(meta);
    Model model = Model.newInstance(meta.name(), "PyTorch");
    block.initialize(model.getNDManager(), DataType.FLOAT32, shape(meta));
    model.setBlock(block);
    return model;
  }

  static ai.djl.ndarray.types.Shape shape(ModelMeta meta) {
    long[] dims = new long[meta.inputShape().length + 1];
    dims[0] = 1;
    for (int i = 0; i < meta.inputShape().length; i++) {
      dims[i + 1] = meta.inputShape()[i];
    }
    return new ai.djl.ndarray.types.Shape(dims);
  }

  public static ModelBundle bundle(ModelMeta meta, Model model) {
    return ModelBundle.ofBlock(meta, model);
  }
}
