package io.edldist.jobs.blockwise;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import io.edldist.udfs.model.Architectures;
import io.edldist.udfs.model.BlockwiseModels;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelCache;
import io.edldist.udfs.model.ModelMeta;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * Builds a student from the teacher and trained blocks: the {@code vgg-ds:...} architecture with
 * the given blocks replaced, every other child's parameters (conv blocks, head, batch-norm running
 * statistics) copied from the teacher and each replaced block's from its trained {@code ds-block}.
 * Copies go through DJL's parameter streams, child by child; cost: one copy of the weights.
 */
final class StudentAssembly {
  static final String STUDENT = "student-blockwise";

  private StudentAssembly() {}

  /** A new model the caller closes; {@code blocks} maps block numbers to trained blocks. */
  static Model assemble(ModelBundle teacher, Map<Integer, ModelBundle> blocks) {
    ModelMeta t = teacher.meta();
    List<BlockwiseModels.ConvBlock> convs = BlockwiseModels.replaceableBlocks(t);
    boolean[] replaced = new boolean[convs.size()];
    blocks.keySet().forEach(n -> replaced[n - 1] = true);
    ModelMeta meta = meta(teacher, replaced);
    Model model = Model.newInstance(STUDENT, "PyTorch");
    Block student = Architectures.build(meta);
    NDManager manager = model.getNDManager();
    student.initialize(manager, DataType.FLOAT32, ModelBundle.batchShape(t.inputShape(), 1));
    model.setBlock(student);
    List<Block> from = children(ModelCache.get(teacher).getBlock());
    List<Block> to = children(student);
    for (BlockwiseModels.ConvBlock c : convs) {
      ModelBundle trained = blocks.get(c.number());
      if (trained != null) {
        try (Model block = trained.load()) {
          copy(block.getBlock(), to.get(c.child()), manager);
        }
      }
    }
    for (int i = 0; i < to.size(); i++) {
      if (!isReplaced(convs, replaced, i)) {
        copy(from.get(i), to.get(i), manager);
      }
    }
    return model;
  }

  /** The metadata the assembled student is stored under. */
  static ModelMeta meta(ModelBundle teacher, boolean[] replaced) {
    ModelMeta t = teacher.meta();
    return ModelMeta.untrained(
        STUDENT, BlockwiseModels.studentArch(replaced), 0, t.inputShape(), t.classes());
  }

  private static boolean isReplaced(
      List<BlockwiseModels.ConvBlock> convs, boolean[] replaced, int child) {
    return convs.stream().anyMatch(c -> c.child() == child && replaced[c.number() - 1]);
  }

  private static List<Block> children(Block net) {
    return ((SequentialBlock) net).getChildren().values();
  }

  private static void copy(Block source, Block target, NDManager manager) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        source.saveParameters(out);
      }
      try (DataInputStream in =
          new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        target.loadParameters(manager, in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MalformedModelException e) {
      throw new IllegalStateException("student block does not match its source", e);
    }
  }
}
