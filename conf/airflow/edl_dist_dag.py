"""edl-dist: knowledge distillation on Spark, one stage after the other over one lake.

    ingest >> teacher >> infer >> train_kd >> train_baseline >> evaluate

Each task runs, on the Airflow worker, and streams its output to the task log:

    $EDL_DIST_HOME/bin/edl-dist submit --target TARGET [SUBMIT_OPTIONS] -- \\
        --lake LAKE --set run.id=RUN [--set key=value ...] COMMAND

COMMAND is `ingest` (with `--data DATA`), `train-teacher --reuse`, `infer`,
`train --mode kd --resume`, `train --mode baseline --resume`, `evaluate`. RUN is
the DAG run's id with `-` for the characters a path cannot hold, so the tasks of
one DAG run share their metrics, checkpoints and report (`LAKE/reports/RUN/`),
and a retry continues its run. `spark.ui.showConsoleProgress=false` comes first
among the settings: Spark's progress bar would fill a task log with lines.

**Parameters** (trigger conf, e.g.
`{"lake": "s3a://bucket/edl-dist", "data": "s3a://bucket/fashion-mnist", "target": "yarn"}`):

- `lake`: the lake root, any Hadoop path; empty: the Airflow Variable `edl_dist_lake`.
- `data`: ingest's input, any Hadoop path (an idx folder, Parquet or CSV); empty:
  the Airflow Variable `edl_dist_data`.
- `teacher`: a TorchScript teacher file (.pt), any Hadoop path, given to every
  task as `teacher.path`; the teacher task then trains nothing. Empty (default):
  the teacher task runs `train-teacher --reuse`, which trains a teacher when the
  lake has none and otherwise keeps the one the model store saved last, whatever
  settings trained it (a re-run never retrains it).
- `target`: `yarn` (default), `yarn-gpu`, `k8s`, `k8s-gpu`, `standalone` or
  `local`: the profile `conf/spark-defaults.<target>.conf` of `edl-dist submit`.
- `submit_options`: more options of `edl-dist submit`, a list, e.g.
  `["--master", "spark://host:7077"]` (the standalone profile's master is a
  placeholder), `["--no-s3-jar"]` on EMR, Dataproc or Cloudera.
- `settings`: edl-dist settings, each passed as `--set key=value`, which reaches
  the driver in any deploy mode, e.g. `{"train.epochs": 10}` or the
  `spark.hadoop.fs.s3a.*` settings of an S3 lake.

A run without a lake (or data) fails its first task, without retry, with one
line naming the parameter and how to set it.

**On the worker**: the repository built with `mvn -B package` at
`$EDL_DIST_HOME` (default /opt/edl-dist) by the user the tasks run as (bin/edl-dist
and, without `SPARK_HOME`, the Spark jars come from that user's Maven
repository); Java 17; network to the cluster (YARN ResourceManager, Kubernetes
API server or standalone master) and, in client deploy mode, to the lake's
store; `HADOOP_CONF_DIR` for yarn targets; a kubeconfig for k8s targets.

**Retries**: two, five minutes apart; every stage is idempotent and resumable
(ingest and infer finish only what is missing, `train --resume` continues from
the run's last checkpoint). Exit code 2 is edl-dist's bad usage, configuration or
input: a retry would fail the same way, so the task fails at once
(AirflowFailException) with edl-dist's one-line error; any other non-zero exit
code is retried (AirflowException). Exit code 2 reaches the task only where the
driver runs on the worker: `local` and `standalone` (client deploy mode), and
errors `submit` finds before anything is submitted (an unreachable master, a
missing profile). `yarn` and `yarn-gpu` run the driver in the cluster (cluster
deploy mode), where spark-submit reports a failed driver as exit code 1: bad
input is retried there, and its one line is in the driver's YARN log. `k8s` and
`k8s-gpu` are cluster deploy mode too, but Spark 4.0.1's spark-submit exits 0
when the driver pod fails (SPARK-26365): the task succeeds, so watch the driver
pods' status there.

**Killed tasks** (marked failed, past the 12 h `execution_timeout`, a worker shut
down): the task stops its edl-dist process group, SIGTERM then SIGKILL after
60 s, so no driver on the worker keeps writing beside the retry. A driver that
runs in the cluster (yarn, k8s) is not stopped by that: end it with `yarn
application -kill` or by deleting the driver pod before the retry.

The tasks run one after the other, and `max_active_runs=1`: on an s3a:// lake,
Delta's default S3 log store is safe for one writing driver per table at a time,
and train_kd and train_baseline both append to `metrics`.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException
from airflow.models import Variable
from airflow.models.param import Param
try:  # Airflow 3 moved it to the standard provider
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:
    from airflow.operators.python import PythonOperator

# edl-dist's exit code for bad usage, configuration or input: a retry fails the same way.
BAD_INPUT = 2
# Parameters an Airflow Variable stands in for when empty, with an example for the error message.
FALLBACKS = {
    "lake": ("edl_dist_lake", "s3a://bucket/edl-dist"),
    "data": ("edl_dist_data", "s3a://bucket/fashion-mnist"),
}

log = logging.getLogger("airflow.task")


def required(params, name: str) -> str:
    """The parameter from the trigger conf or the DAG's params, else its Airflow Variable."""
    variable, example = FALLBACKS[name]
    value = params.get(name) or Variable.get(variable, default_var="")
    if not value:
        raise AirflowFailException(
            f"Cannot run edl-dist: no {name} given. Trigger the DAG with conf"
            f' {{"{name}": "{example}"}} or set the Airflow Variable {variable}'
        )
    return value


def command_line(params, run_id: str, command: list[str]) -> list[str]:
    """The `edl-dist submit` line that runs one edl-dist command in this DAG run."""
    options = ["--lake", required(params, "lake")]
    if command[0] == "ingest":
        options += ["--data", required(params, "data")]
    settings = {
        "run.id": re.sub(r"[^A-Za-z0-9_.-]", "-", run_id),
        "spark.ui.showConsoleProgress": "false",
    }
    if params["teacher"]:
        settings["teacher.path"] = params["teacher"]
    settings.update(params["settings"])
    for key, value in settings.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        options += ["--set", f"{key}={text}"]
    home = os.environ.get("EDL_DIST_HOME", "/opt/edl-dist")
    return [
        f"{home}/bin/edl-dist",
        "submit",
        "--target",
        params["target"],
        *params["submit_options"],
        "--",
        *options,
        *command,
    ]


# The edl-dist process of the task this worker process runs, for on_kill.
_running: subprocess.Popen | None = None


def run_stage(command: list[str], **context) -> None:
    """Runs one edl-dist command; exit code 2 fails the task for good, others are retried."""
    global _running
    params = context["params"]
    if command[0] == "train-teacher" and params["teacher"]:
        log.info("teacher %s is every task's teacher.path; nothing to train", params["teacher"])
        return
    argv = command_line(params, context["run_id"], command)
    log.info("running %s", " ".join(shlex.quote(a) for a in argv))
    error = ""
    # a session of its own: on_kill stops spark-submit and the driver JVM it starts together
    with subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    ) as process:
        _running = process
        try:
            for line in process.stdout:
                line = line.rstrip()
                log.info("%s", line)
                if line.startswith("edl-dist: ") and not error:
                    error = line
        finally:
            stop(process)
            _running = None
    if process.returncode == BAD_INPUT:
        raise AirflowFailException(f"edl-dist {command[0]} exited with 2, not retried: {error}")
    if process.returncode != 0:
        raise AirflowException(f"edl-dist {command[0]} exited with {process.returncode}")


def stop(process: subprocess.Popen, grace_s: float = 60) -> None:
    """Ends the process's session: SIGTERM to every process in it (Spark stops its context and
    the driver its executors), then SIGKILL to what is left after the grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and session_alive(process.pid):
            process.poll()
            time.sleep(0.5)
        if not session_alive(process.pid):
            break
    process.wait()


def session_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False


class EdlDistStage(PythonOperator):
    """A PythonOperator whose kill (mark failed, timeout, worker shutdown) stops edl-dist too, so
    no orphaned driver keeps writing to the lake beside the retry."""

    def on_kill(self) -> None:
        if _running is not None:
            log.info("stopping edl-dist (process group %d)", _running.pid)
            stop(_running)


def stage(task_id: str, *command: str) -> PythonOperator:
    return EdlDistStage(
        task_id=task_id, python_callable=run_stage, op_kwargs={"command": list(command)}
    )


with DAG(
    dag_id="edl_dist",
    description="Knowledge distillation: soft labels on an elastic teacher pool, then the student",
    doc_md=__doc__,
    schedule="@daily",
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "edl-dist",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        # a job that never gets executors ("Initial job has not accepted any resources") would
        # hold the DAG's only run for ever
        "execution_timeout": timedelta(hours=12),
    },
    params={
        "lake": Param("", type="string", description="Lake root (else Variable edl_dist_lake)."),
        "data": Param("", type="string", description="Input of ingest (else edl_dist_data)."),
        "teacher": Param("", type="string", description="TorchScript teacher; empty: train one."),
        "target": Param(
            "yarn",
            enum=["yarn", "yarn-gpu", "k8s", "k8s-gpu", "standalone", "local"],
            description="edl-dist submit --target.",
        ),
        "submit_options": Param([], type="array", description="More edl-dist submit options."),
        "settings": Param({}, type="object", description="edl-dist settings, --set k=v each."),
    },
    tags=["edl-dist", "spark", "distillation"],
) as dag:
    ingest = stage("ingest", "ingest")
    teacher = stage("teacher", "train-teacher", "--reuse")
    infer = stage("infer", "infer")
    train_kd = stage("train_kd", "train", "--mode", "kd", "--resume")
    train_baseline = stage("train_baseline", "train", "--mode", "baseline", "--resume")
    evaluate = stage("evaluate", "evaluate")

    ingest >> teacher >> infer >> train_kd >> train_baseline >> evaluate
