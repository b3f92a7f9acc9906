package io.edldist.jobs.bench;

import io.edldist.jobs.blockwise.BlockwiseBench;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders BENCHMARKS.md from one bench result, so the file always matches a real run. */
final class BenchMarkdown {
  private BenchMarkdown() {}

  @SuppressWarnings("unchecked")
  static String render(Map<String, Object> r, Path json) {
    Map<String, Object> rates = (Map<String, Object>) r.get("samples_per_s");
    Map<String, Object> e2e = (Map<String, Object>) r.get("end_to_end");
    return local(r, rates, e2e, json) + cluster(r);
  }

  @SuppressWarnings("unchecked")
  private static String cluster(Map<String, Object> r) {
    Map<String, Object> rates = (Map<String, Object>) r.get("cluster_infer_samples_per_s");
    Map<String, Object> memory = (Map<String, Object>) r.get("executor_memory");
    return String.format(
        Locale.ROOT,
        """

        ## On a standalone cluster

        Spark standalone clusters started on the same machine (a Master, Workers and executors as
        JVMs of their own, static allocation, %s-row infer of the whole table into a scratch table,
        8 partitions), one application per measurement, each warmed up once. For the scaling
        figure, two one-core Workers each pinned to its own CPU with their executors (`taskset`),
        as a container's CPU limit pins an executor on YARN or Kubernetes; the driver, the Master
        and the Workers share both CPUs; the sides alternate (one executor, then two) and the
        ratio is the median of the per-pair ratios (%s). For memory, one four-core Worker.

        | ratio | value | goal | what it compares |
        |---|---:|---:|---|
        | `infer_scaling_2x` | %.2f | >= 1.7 | infer throughput with two one-core executors / with one: %.0f vs %.0f samples/s |

        | executor JVM | peak RSS | teacher loads in the JVM |
        |---|---:|---:|
        | 1 task slot (`spark.executor.cores=1`) | %.0f MB | %s |
        | 4 concurrent tasks (`spark.executor.cores=4`) | %.0f MB | %s |

        Executor heap %s in both; the rest of the resident set is libtorch's native memory and
        the JVM. The teacher is loaded once per executor JVM, never once per task.
        """,
        r.get("infer_rows"),
        ((List<Double>) r.get("infer_scaling_2x_pairs"))
            .stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList(),
        (Double) r.get("infer_scaling_2x"),
        (Double) rates.get("two_executors"),
        (Double) rates.get("one_executor"),
        (Double) memory.get("executor_peak_rss_mb_1_task"),
        memory.get("teacher_loads_per_executor_1_task"),
        (Double) memory.get("executor_peak_rss_mb_4_tasks"),
        memory.get("teacher_loads_per_executor_4_tasks"),
        memory.get("executor_heap"));
  }

  private static String local(
      Map<String, Object> r, Map<String, Object> rates, Map<String, Object> e2e, Path json) {
    return String.format(
            Locale.ROOT,
            """
        # Benchmarks

        Produced by `bin/edl-dist bench` on %s (%s cores, %s Spark task slots); raw result:
        `%s`. Each figure is the median of %s runs after one unmeasured warm-up run; both sides of
        every ratio were measured in the same run on the same cores.

        | ratio | value | goal | what it compares |
        |---|---:|---:|---|
        | `infer_efficiency` | %.3f | >= 0.90 | Spark infer stage (Delta in, Delta out) / bare DJL loop over the same %s rows in memory, batch %s |
        | `offline_kd_speedup` | %.2f | >= 5 | student training from `soft_labels` / online distillation (teacher forward in the loop), %s rows x %s epoch(s), batch %s, student %s |
        | `end_to_end_speedup` | %.2f | > 1 | online distillation / (infer once + offline training), %s epochs over the train split: %.0f s vs %.0f s |

        | throughput | samples/s |
        |---|---:|
        | Spark infer stage | %.0f |
        | bare DJL batched forward loop | %.0f |
        | offline KD training (reads logits) | %.0f |
        | online KD training (runs teacher) | %.0f |

        Teacher: `%s`. Reproduce with `bin/edl-dist bench` (settings: `bench.repeats`,
        `bench.rows`, `bench.epochs`, `infer.batch-size`, `train.batch-size`).
        """,
            r.get("timestamp"),
            r.get("cores"),
            r.get("spark_task_slots"),
            json,
            r.get("repeats"),
            (Double) r.get("infer_efficiency"),
            r.get("infer_rows"),
            r.get("infer_batch_size"),
            (Double) r.get("offline_kd_speedup"),
            r.get("train_rows"),
            r.get("train_epochs"),
            r.get("train_batch_size"),
            r.get("student"),
            (Double) r.get("end_to_end_speedup"),
            e2e.get("epochs"),
            (Double) e2e.get("online_s"),
            (Double) e2e.get("infer_plus_offline_s"),
            (Double) rates.get("spark_infer"),
            (Double) rates.get("bare_djl_infer"),
            (Double) rates.get("offline_kd_train"),
            (Double) rates.get("online_kd_train"),
            r.get("teacher"))
        + BlockwiseBench.markdown(r);
  }
}
