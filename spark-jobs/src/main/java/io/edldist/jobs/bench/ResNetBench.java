package io.edldist.jobs.bench;

import ai.djl.Model;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.results.Stats;
import io.edldist.jobs.train.Models;
import io.edldist.udfs.model.Macs;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelMeta;
import io.edldist.udfs.model.ResNet;
import java.util.Locale;

/**
 * The infer and training benchmarks again with a teacher of the size users bring: torchvision's
 * ResNet-18 layout ({@link ResNet}, about 37 M multiply-accumulates per 3x32x32 sample, 90 times
 * the default CNN) over the first {@code bench.resnet-rows} samples padded to 3x32x32 in a scratch
 * lake. The teacher is initialised from {@code seed} and not trained: libtorch's time per sample
 * does not depend on the weights' values, and training a ResNet-18 on two CPU cores would take
 * hours. The student, its settings and {@code train.epochs} are the CNN part's.
 */
final class ResNetBench {
  private final Lake lake;
  private final EdlConfig config;
  private final String runId;

  ResNetBench(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    this.config = config;
    this.runId = runId;
  }

  BenchResult.ResNetRun measure(int repeats) {
    int rows = config.get(EdlConfig.BENCH_RESNET_ROWS);
    int classes = SamplesMeta.of(lake).classes();
    ModelMeta meta =
        ModelMeta.untrained(
            config.get(EdlConfig.TEACHER_NAME), ResNet.RESNET18, 0, new int[] {3, 32, 32}, classes);
    ModelBundle teacher;
    long macs;
    try (Model model = Models.create(meta, config.get(EdlConfig.SEED))) {
      teacher = ModelBundle.ofBlock(meta, model);
      macs = Macs.count(model.getBlock(), meta.inputShape());
    }
    System.err.printf(
        Locale.ROOT,
        "bench: ResNet-18 teacher %s, %,d parameters, %,d MACs per sample, on %,d samples padded"
            + " to 3x32x32%n",
        teacher.meta().id(),
        teacher.meta().params(),
        macs,
        rows);
    try (ScratchLake images = ScratchLake.rgb32(lake, rows, teacher)) {
      SamplesMeta rgb = SamplesMeta.of(images.lake());
      // soft labels complete, so the infer bench's first call has nothing to score
      new InferStage(images.lake(), config, runId).execute();
      BenchResult.Infer infer =
          new InferBench(images.lake(), config, teacher, rgb.features(), runId).measure(repeats);
      BenchResult.Training training =
          new TrainingBench(images.lake(), config, teacher, rgb.features(), classes, rows, runId)
              .measure(repeats);
      System.err.printf(
          Locale.ROOT,
          "bench: ResNet-18: infer efficiency %.2f, offline KD speedup %.2f, end-to-end %.2f%n",
          Stats.median(infer.ratios()),
          Stats.median(training.offlineRatios()),
          Stats.median(training.endToEndRatios()));
      return new BenchResult.ResNetRun(
          teacher.meta().id(),
          ResNet.RESNET18,
          teacher.meta().params(),
          macs,
          "the first " + rows + " samples padded to 3x32x32",
          infer,
          training);
    }
  }
}
