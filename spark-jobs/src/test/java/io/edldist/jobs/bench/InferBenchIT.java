package io.edldist.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.ingest.IngestStage;
import io.edldist.jobs.it.SparkTestBase;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.teacher.TrainTeacherStage;
import io.edldist.udfs.model.ModelBundle;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The bench's infer comparisons, one small round each on the generated images: the default CNN
 * teacher against the bare DJL loop and PyTorch, and the TorchScript fixture's layout; every result
 * must be plausible ({@link Plausibility}). The PyTorch sides need {@code /usr/bin/python3} with
 * torch (.ci/run installs it).
 */
class InferBenchIT extends SparkTestBase {
  @Test
  void everyRoundRanEverySideOverTheSameRowsAndItsRatiosRecompute() {
    assumeThat(PyTorchLoop.whyNot()).as("torch for /usr/bin/python3").isNull();
    Map<String, String> s = new TreeMap<>(slice());
    s.put("teacher.epochs", "1");
    s.put("bench.infer-seconds", "0.6");
    s.put("infer.batch-size", "16"); // the sweeps' largest batch, 64, stays quick
    EdlConfig config = config(s);
    Lake lake = lake();
    new IngestStage(lake, config).execute();
    ModelBundle teacher = new TrainTeacherStage(lake, config, "it").execute().teacher();
    SamplesMeta meta = SamplesMeta.of(lake);
    new io.edldist.jobs.infer.InferStage(lake, config, "it").execute();

    InferBench bench = new InferBench(lake, config, teacher, meta.features(), "it");
    float[][] source = bench.source();
    BenchResult.Infer cnn;
    try (PyTorchLoop pytorch = PyTorchLoop.open("cnn", meta.features().shape(), 10, source)) {
      cnn = bench.measure(1, 0.6, source, pytorch);
    }
    assertThat(Plausibility.problems(cnn)).isEmpty();
    assertThat(cnn.sparkSeconds()).hasSize(1);
    assertThat(cnn.sourceRows()).isEqualTo(TRAIN + TEST);
    assertThat(cnn.pytorchSweep())
        .extracting(BenchResult.BareLoop::allocator)
        .contains("user", "project");

    BenchResult.Infer fixture = new TorchScriptBench(lake, config, "it").measure(1, source);
    assertThat(Plausibility.problems(fixture)).isEmpty();
    assertThat(fixture.pytorchBest()).isNotNull();
  }
}
