package io.edldist.jobs.bench;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.results.BenchResult;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.model.ModelBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;

/**
 * {@code infer_vs_pytorch}: the infer comparison ({@link InferBench}) with a teacher as cheap as
 * the TorchScript test fixture (its layout, 26,698 parameters, traced by PyTorch from a seed), so
 * that what it measures is the pipeline's own cost per row against a plain PyTorch loop's: Spark
 * infer rows/s over PyTorch's. The pipeline reads the traced file as a user's {@code --teacher
 * FILE.pt}, in a scratch lake holding the same samples. The rounds are sized to a third of {@code
 * bench.infer-seconds} of the bare loop's work: the fixture scores many times faster than the
 * default teacher.
 */
final class TorchScriptBench {
  private static final String NAME = "pytorch-fixture";

  private final Lake lake;
  private final EdlConfig config;
  private final String runId;

  TorchScriptBench(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  /** Null when the samples are not images of at least 4x4. */
  BenchResult.Infer measure(int rounds, float[][] source) {
    SamplesMeta meta = SamplesMeta.of(lake);
    int[] shape = meta.features().shape();
    if (shape.length != 3 || shape[1] < 4 || shape[2] < 4) {
      System.err.println("bench: no TorchScript part: the samples are not images");
      return null;
    }
    try (PyTorchLoop pytorch = PyTorchLoop.open("fixture", shape, meta.classes(), source)) {
      ModelBundle teacher =
          ModelBundle.ofTorchScript(
              NAME, Files.readAllBytes(pytorch.model()), shape, meta.classes());
      EdlConfig withFile =
          config.with(
              Map.of(
                  EdlConfig.TEACHER_NAME.name(),
                  NAME,
                  EdlConfig.TEACHER_PATH.name(),
                  pytorch.model().toString()));
      try (ScratchLake scratch = ScratchLake.of(lake, lake.read(Lake.SAMPLES), teacher)) {
        // soft labels complete, so the infer bench's first call has nothing to score
        scratch.inferAll(withFile, runId);
        return new InferBench(scratch.lake(), withFile, teacher, meta.features(), runId)
            .measure(rounds, config.get(EdlConfig.BENCH_INFER_SECONDS) / 3, source, pytorch);
      }
    } catch (IOException e) {
      throw EdlException.cannot("read the traced PyTorch model", e, "Check free space in /tmp");
    }
  }
}
