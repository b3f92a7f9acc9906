package io.edldist.jobs.chaos;

import java.util.List;
import java.util.Set;

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

  /** Kills an executor running a scoring task (the first executor when none is known busy). */
  @Override
  int kill(ChaosRun run, Set<String> busy) {
    List<ProcessHandle> executors = run.cluster().executors();
    if (executors.isEmpty()) {
      return 0;
    }
    ProcessHandle victim =
        executors.stream()
            .filter(p -> busy.contains(executorId(p)))
            .findFirst()
            .orElse(executors.get(0));
    victim.destroyForcibly();
    victim.onExit().join();
    return victim.isAlive() ? 0 : 1;
  }

  /** The Spark executor id on an executor JVM's command line ({@code --executor-id N}). */
  private static String executorId(ProcessHandle executor) {
    String[] args = executor.info().arguments().orElse(new String[0]);
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--executor-id")) {
        return args[i + 1];
      }
    }
    return "";
  }
}
