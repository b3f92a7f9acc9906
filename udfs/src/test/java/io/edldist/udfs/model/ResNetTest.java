package io.edldist.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.edldist.udfs.EdlException;
import org.junit.jupiter.api.Test;

class ResNetTest {
  private static final int[] RGB32 = {3, 32, 32};

  @Test
  void resnet18HasTorchvisionsLayerSizesOn32x32Images() {
    try (Model model = Model.newInstance("r", "PyTorch")) {
      Block block = Architectures.build(ResNet.RESNET18, 0, RGB32, 10);
      Shape in = ModelBundle.batchShape(RGB32, 2);
      block.initialize(model.getNDManager(), DataType.FLOAT32, in);
      // per conv: weights x output positions; stem 7x7x3x64 at 16x16, stages at 8x8 .. 1x1,
      // three 1x1 shortcuts, the dense layer 512x10
      long stem = 7 * 7 * 3 * 64 * 16 * 16;
      long stage1 = 4L * 3 * 3 * 64 * 64 * 8 * 8;
      long stageN = 3 * 3 * 64 * 128 * 16 + 3L * 3 * 3 * 128 * 128 * 16 + 64 * 128 * 16;
      assertThat(Macs.count(block, RGB32)).isEqualTo(stem + stage1 + 3 * stageN + 512 * 10);
      // torchvision's resnet18(num_classes=10) has 11,181,642 trainable parameters; DJL also
      // stores each batch norm's running mean and variance (4,800 channels in all)
      assertThat(ModelBundle.countParameters(block)).isEqualTo(11_181_642L + 2 * 4_800);
      var x = model.getNDManager().randomUniform(0, 1, in);
      NDList out =
          block.forward(new ParameterStore(model.getNDManager(), false), new NDList(x), false);
      assertThat(out.head().getShape()).isEqualTo(new Shape(2, 10));
    }
  }

  @Test
  void resnet18RefusesImagesSmallerThan32x32() {
    assertThatThrownBy(() -> Architectures.build(ResNet.RESNET18, 0, new int[] {1, 28, 28}, 10))
        .isInstanceOf(EdlException.class)
        .hasMessageContaining("at least 32x32");
  }
}
