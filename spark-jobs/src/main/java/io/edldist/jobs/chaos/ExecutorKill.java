package io.edldist.jobs.chaos;

import java.util.List;

/** a. One executor JVM SIGKILLed while infer runs; the job must complete exactly. */
public class ExecutorKill extends InferWithKill {
  @Override
  public String name() {
    return "executor-kill";
  }

  @Override
  public String fault() {
    return "SIGKILL one executor JVM mid-infer";
  }

  @Override
  public String why() {
    return "a task lost with its executor is recomputed from lineage on a surviving or a newly "
        + "granted executor, and Delta commits only the files of the task attempts the driver "
        + "accepted, so a dead attempt's files are never read";
  }

  @Override
  int kill(ChaosRun run) {
    List<ProcessHandle> executors = run.cluster().executors();
    if (executors.isEmpty()) {
      return 0;
    }
    ProcessHandle victim = executors.get(0);
    victim.destroyForcibly();
    victim.onExit().join();
    return victim.isAlive() ? 0 : 1;
  }
}
