package io.edldist.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.model.BlockwiseModels.ConvBlock;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockwiseModelsTest {
  private static final int[] SHAPE = {1, 28, 28};

  private static Block initialised(String arch, Model model) {
    Block block = Architectures.build(arch, 0, SHAPE, 10);
    block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 28, 28));
    return block;
  }

  @Test
  void vggExposesSixConvBlocksWithTheirShapes() {
    List<ConvBlock> blocks = BlockwiseModels.convBlocks(SHAPE);
    assertThat(blocks).hasSize(6);
    assertThat(blocks.get(0)).isEqualTo(new ConvBlock(1, 0, 1, 16, 28, 28));
    assertThat(blocks.get(2)).isEqualTo(new ConvBlock(3, 3, 16, 32, 14, 14));
    assertThat(blocks.get(5)).isEqualTo(new ConvBlock(6, 7, 64, 64, 7, 7));
  }

  @Test
  void studentBlockKeepsTheTeacherBlockShapes() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      for (ConvBlock b : BlockwiseModels.convBlocks(SHAPE)) {
        Shape in = ModelBundle.batchShape(b.inputShape(), 2);
        Block teacher = BlockwiseModels.teacherBlock(b);
        Block student = BlockwiseModels.studentBlock(b);
        teacher.initialize(m, DataType.FLOAT32, in);
        student.initialize(m, DataType.FLOAT32, in);
        var x = m.randomUniform(0, 1, in);
        ParameterStore ps = new ParameterStore(m, false);
        Shape want = teacher.forward(ps, new ai.djl.ndarray.NDList(x), false).head().getShape();
        assertThat(student.forward(ps, new ai.djl.ndarray.NDList(x), false).head().getShape())
            .isEqualTo(want)
            .isEqualTo(new Shape(2, b.outChannels(), b.height(), b.width()));
      }
    }
  }

  @Test
  void fullyReplacedStudentIsUnderFortyPercentOfTheTeacherInParamsAndMacs() {
    try (Model t = Model.newInstance("t", "PyTorch");
        Model s = Model.newInstance("s", "PyTorch")) {
      Block teacher = initialised("vgg", t);
      Block student = initialised("vgg-ds:111111", s);
      long teacherMacs = Macs.count(teacher, SHAPE);
      // conv3x3 1->16 @28x28, 16->16 @28x28, 16->32 and 32->32 @14x14, 32->64 and 64->64 @7x7,
      // then the 64->10 head
      long convs = 28 * 28 * 9L * (16 + 16 * 16) + 14 * 14 * 9L * (16 * 32 + 32 * 32);
      convs += 7 * 7 * 9L * (32 * 64 + 64 * 64);
      assertThat(teacherMacs).isEqualTo(convs + 640);
      assertThat((double) Macs.count(student, SHAPE) / teacherMacs).isLessThan(0.4);
      assertThat(
              (double) ModelBundle.countParameters(student) / ModelBundle.countParameters(teacher))
          .isLessThan(0.4);
    }
  }

  @Test
  void studentArchNamesRoundTrip() {
    boolean[] replaced = {false, true, true, false, true, true};
    assertThat(BlockwiseModels.studentArch(replaced)).isEqualTo("vgg-ds:011011");
    assertThat(BlockwiseModels.replacedOf("vgg-ds:011011")).isEqualTo(replaced);
    assertThatThrownBy(() -> BlockwiseModels.replacedOf("vgg-ds:01x"))
        .isInstanceOf(EdlException.class)
        .hasMessageStartingWith("Invalid architecture 'vgg-ds:01x'");
  }

  @Test
  void teachersWithoutExposedConvBlocksAreRejectedNamingTheBlock() {
    ModelMeta ts = ModelBundle.ofTorchScript("ts", new byte[] {1}, SHAPE, 10).meta();
    assertThatThrownBy(() -> BlockwiseModels.replaceableBlocks(ts))
        .isInstanceOf(EdlException.class)
        .hasMessageStartingWith("Cannot replace the blocks of teacher ts@")
        .hasMessageContaining("TorchScript");
    ModelMeta cnn = ModelMeta.untrained("teacher", "cnn", 0, SHAPE, 10);
    assertThatThrownBy(() -> BlockwiseModels.replaceableBlocks(cnn))
        .hasMessageContaining("block 'conv1'")
        .hasMessageContaining("teacher.arch=vgg");
    ModelMeta mlp = ModelMeta.untrained("teacher", "mlp", 64, SHAPE, 10);
    assertThatThrownBy(() -> BlockwiseModels.replaceableBlocks(mlp))
        .hasMessageContaining("block 'dense1' is a dense layer");
    assertThat(BlockwiseModels.replaceableBlocks(ModelMeta.untrained("t", "vgg", 0, SHAPE, 10)))
        .hasSize(6);
  }
}
