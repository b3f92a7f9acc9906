package io.edldist.jobs.bench;

import ai.djl.Model;
import io.edldist.jobs.config.EdlConfig;
import io.edldist.jobs.infer.InferStage;
import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.SamplesMeta;
import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.results.Stats;
import io.edldist.jobs.train.Models;
import io.edldist.udfs.infer.RgbPadding;
import io.edldist.udfs.model.Macs;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelMeta;
import io.edldist.udfs.model.ResNet;
import java.util.Locale;
import java.util.Map;

/**
 * The infer and training benchmarks again with a teacher of the size users bring: torchvision's
 * ResNet-18 layout ({@link ResNet}) over the first {@code bench.resnet-rows} samples padded to
 * 3x32x32 in a scratch lake. The teacher is initialised from {@code seed} and not trained:
 * libtorch's time per sample does not depend on the weights' values, and training a ResNet-18 on
 * CPU cores would take hours. The student, its settings and {@code train.epochs} are the CNN
 * part's; {@code teacher.path} is ignored here. Skipped (null) when {@code bench.resnet-rows} is 0
 * or the lake does not hold one-channel images of at most 32x32.
 */
final class ResNetBench {
  private final Lake lake;
  private final EdlConfig config;
  private final String runId;

  ResNetBench(Lake lake, EdlConfig config, String runId) {
    this.lake = lake;
    // the scratch lake's stored ResNet is the teacher, whatever file teacher.path names
    this.config = config.with(Map.of(EdlConfig.TEACHER_PATH.name(), ""));
    this.runId = runId;
  }

  BenchResult.ResNetRun measure(int inferRounds, int repeats) {
    int rows = config.get(EdlConfig.BENCH_RESNET_ROWS);
    SamplesMeta source = SamplesMeta.of(lake);
    String whyNot = rows == 0 ? "bench.resnet-rows is 0" : ScratchLake.whyNotRgb32(source);
    if (whyNot != null) {
      System.err.println("bench: no ResNet-18 part: " + whyNot);
      return null;
    }
    ModelMeta meta =
        ModelMeta.untrained(
            config.get(EdlConfig.TEACHER_NAME),
            ResNet.RESNET18,
            0,
            RgbPadding.SHAPE,
            source.classes());
    ModelBundle teacher;
    long macs;
    try (Model model = Models.create(meta, config.get(EdlConfig.SEED))) {
      teacher = ModelBundle.ofBlock(meta, model);
      macs = Macs.count(model.getBlock(), meta.inputShape());
    }
    try (ScratchLake images = ScratchLake.rgb32(lake, rows, teacher)) {
      SamplesMeta rgb = SamplesMeta.of(images.lake());
      long used = images.lake().read(Lake.SAMPLES).count();
      System.err.printf(
          Locale.ROOT,
          "bench: ResNet-18 teacher %s, %,d parameters, %,d MACs per sample, on %,d samples"
              + " padded to 3x32x32%n",
          teacher.meta().id(),
          teacher.meta().params(),
          macs,
          used);
      // soft labels complete, so the infer bench's first call has nothing to score
      new InferStage(images.lake(), config, runId).execute();
      InferBench bench = new InferBench(images.lake(), config, teacher, rgb.features(), runId);
      BenchResult.Infer infer =
          bench.measure(
              inferRounds, config.get(EdlConfig.BENCH_INFER_SECONDS), bench.source(), null);
      BenchResult.Training training =
          new TrainingBench(
                  images.lake(), config, teacher, rgb.features(), rgb.classes(), rows, runId)
              .measure(repeats);
      System.err.printf(
          Locale.ROOT,
          "bench: ResNet-18: infer efficiency %.2f, offline KD speedup %.2f, end-to-end %.2f%n",
          infer.median(infer.ratios()),
          Stats.median(training.offlineRatios()),
          Stats.median(training.endToEndRatios()));
      return new BenchResult.ResNetRun(
          teacher.meta().id(),
          ResNet.RESNET18,
          teacher.meta().params(),
          macs,
          used,
          RgbPadding.SHAPE,
          infer,
          training);
    }
  }
}
