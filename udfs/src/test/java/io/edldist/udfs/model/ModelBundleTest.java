package io.edldist.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.BatchTranslator;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelBundleTest {
  private static final int[] SHAPE = {1, 28, 28};

  private static Model newModel(String arch) {
    Block block = Architectures.build(arch, 32, SHAPE, 10);
    Model model = Model.newInstance("m", "PyTorch");
    block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 28, 28));
    model.setBlock(block);
    return model;
  }

  private static float[] predict(Model model, float[] x) throws Exception {
    try (Predictor<BatchTranslator.Batch, float[]> p = model.newPredictor(new BatchTranslator())) {
      return p.predict(new BatchTranslator.Batch(x, 2, new long[] {1, 28, 28}));
    }
  }

  @Test
  void roundTripKeepsOutputsAndVersionIsAContentHash() throws Exception {
    ModelMeta meta = new ModelMeta("teacher", "", ModelMeta.DJL, "small-cnn", 0, SHAPE, 10, 0);
    float[] x = new float[2 * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 97) / 97f;
    }
    try (Model model = newModel("small-cnn")) {
      ModelBundle bundle = ModelBundle.ofBlock(meta, model);
      assertThat(bundle.meta().version()).hasSize(12);
      assertThat(bundle.meta().params()).isEqualTo(ModelBundle.countParameters(model.getBlock()));
      assertThat(ModelBundle.ofBlock(meta, model).meta().version())
          .isEqualTo(bundle.meta().version());
      try (Model loaded = bundle.load()) {
        assertThat(predict(loaded, x)).containsExactly(predict(model, x));
      }
    }
  }

  @Test
  void mlpHasTheExpectedParameterCount() {
    try (Model model = Model.newInstance("m", "PyTorch")) {
      Block block = Architectures.build("mlp", 128, SHAPE, 10);
      block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 28, 28));
      assertThat(ModelBundle.countParameters(block)).isEqualTo(784 * 128 + 128 + 128 * 10 + 10);
    }
  }

  @Test
  void tamperedFilesAreRejected() {
    ModelMeta meta = new ModelMeta("teacher", "", ModelMeta.DJL, "mlp", 32, SHAPE, 10, 0);
    try (Model model = newModel("mlp")) {
      ModelBundle bundle = ModelBundle.ofBlock(meta, model);
      Map<String, byte[]> files = new HashMap<>(bundle.files());
      String name = files.keySet().iterator().next();
      byte[] changed = files.get(name).clone();
      changed[changed.length - 1] ^= 1;
      files.put(name, changed);
      assertThatThrownBy(() -> ModelBundle.of(bundle.meta(), files, "/lake/models/teacher/x"))
          .isInstanceOf(EdlException.class)
          .hasMessageContaining("Invalid model /lake/models/teacher/x")
          .hasMessageContaining("hash");
    }
  }

  @Test
  void garbageTorchScriptFailsWithTheModelNamed() {
    ModelBundle bundle = ModelBundle.ofTorchScript("teacher", "not a model".getBytes(), SHAPE, 10);
    assertThatThrownBy(bundle::load)
        .isInstanceOf(EdlException.class)
        .hasMessageStartingWith("Cannot load model teacher@")
        .hasMessageContaining("torchscript")
        .hasMessageContaining("torch.jit");
  }

  @Test
  void unknownArchitectureIsAUserError() {
    assertThatThrownBy(() -> Architectures.build("resnet", 0, SHAPE, 10))
        .isInstanceOf(EdlException.class)
        .hasMessageContaining("Invalid architecture 'resnet'")
        .hasMessageContaining("cnn, small-cnn, mlp");
    assertThatThrownBy(() -> Architectures.build("cnn", 0, new int[] {12}, 10))
        .hasMessageContaining("teacher.arch=mlp");
  }
}
