package io.edldist.jobs.chaos;

import java.util.Set;

/**
 * b. A Worker and its executors SIGKILLed while infer runs, as a lost machine; the Worker is
 * started again afterwards.
 */
public class WorkerKill extends InferWithKill {
  @Override
  public String name() {
    return "worker-kill";
  }

  @Override
  public String fault() {
    return "SIGKILL a Worker and its executors mid-infer";
  }

  @Override
  public String why() {
    return "a Worker's death takes its executors with it; their tasks are recomputed from lineage "
        + "elsewhere, and Delta commits only the files of the task attempts the driver accepted";
  }

  @Override
  int kill(ChaosRun run, Set<String> busy) {
    return run.cluster().killWorker(1);
  }

  @Override
  void restore(ChaosRun run) {
    run.cluster().startWorker(1);
    run.cluster().awaitWorkers(2);
  }
}
