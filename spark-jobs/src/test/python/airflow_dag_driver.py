"""Loads conf/airflow/edl_dist_dag.py over the Airflow stand-in and reports on it, for AirflowDagIT.

    airflow_dag_driver.py DAG_FILE shape
        prints the DAG as JSON: its tasks with their upstream tasks, its parameters'
        defaults, max_active_runs and default_args.

    airflow_dag_driver.py DAG_FILE run RUN_ID CONF_JSON [VARIABLES_JSON [TASK_IDS]]
        runs the tasks in dependency order as a worker would (only those of TASK_IDS, a
        comma-separated list, when given), with the DAG's parameter defaults updated by
        CONF_JSON (a trigger's conf) and the Airflow Variables of VARIABLES_JSON, with the
        task log on stdout, and prints one line per task: "task ID: success", or
        "task ID: failed, retried: MESSAGE" (AirflowException) or
        "task ID: failed, not retried: MESSAGE" (AirflowFailException), after which it
        stops and exits 1.

    airflow_dag_driver.py DAG_FILE kill RUN_ID CONF_JSON VARIABLES_JSON TASK_ID AFTER_S
        runs one task as above and, AFTER_S seconds after its edl-dist process started,
        kills it as Airflow does (the operator's on_kill); prints the task's line as above
        and "process group left: yes|no".
"""

import importlib.util
import json
import logging
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "airflow-standin"))

from airflow.exceptions import AirflowException, AirflowFailException  # noqa: E402
from airflow.models import Variable  # noqa: E402


def load(dag_file):
    spec = importlib.util.spec_from_file_location("edl_dist_dag", dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def in_order(dag):
    """The tasks with every task after its upstream tasks."""
    done, order = set(), []
    while len(order) < len(dag.task_dict):
        for task in dag.task_dict.values():
            if task.task_id not in done and all(u.task_id in done for u in task.upstream_list):
                done.add(task.task_id)
                order.append(task)
    return order


def shape(dag):
    print(
        json.dumps(
            {
                "tasks": {
                    t.task_id: sorted(u.task_id for u in t.upstream_list) for t in in_order(dag)
                },
                "order": [t.task_id for t in in_order(dag)],
                "params": {name: p.value for name, p in dag.params.items()},
                "max_active_runs": dag.max_active_runs,
                "retries": dag.default_args.get("retries"),
            }
        )
    )
    return 0


def execute(task, context):
    """Runs the task; prints its line; returns whether it succeeded."""
    try:
        task.execute(context)
    except AirflowFailException as e:
        print(f"task {task.task_id}: failed, not retried: {e}", flush=True)
        return False
    except AirflowException as e:
        print(f"task {task.task_id}: failed, retried: {e}", flush=True)
        return False
    print(f"task {task.task_id}: success", flush=True)
    return True


def params_of(dag, conf):
    params = {name: p.value for name, p in dag.params.items()}
    params.update(conf)
    return params


def run(dag, run_id, conf, variables, task_ids):
    Variable.values = variables
    context = {"params": params_of(dag, conf), "run_id": run_id}
    for task in in_order(dag):
        if task_ids and task.task_id not in task_ids:
            continue
        if not execute(task, context):
            return 1
    return 0


def kill(module, run_id, conf, variables, task_id, after_s):
    Variable.values = variables
    task = module.dag.task_dict[task_id]
    context = {"params": params_of(module.dag, conf), "run_id": run_id}
    worker = threading.Thread(target=execute, args=(task, context))
    worker.start()
    while module._running is None and worker.is_alive():
        time.sleep(0.1)
    group = module._running.pid
    time.sleep(after_s)
    task.on_kill()
    worker.join()
    try:
        os.killpg(group, 0)
        left = "yes"
    except ProcessLookupError:
        left = "no"
    print(f"process group left: {left}", flush=True)
    return 0


if __name__ == "__main__":
    module = load(sys.argv[1])
    if sys.argv[2] == "shape":
        sys.exit(shape(module.dag))
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    variables = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    if sys.argv[2] == "kill":
        args = (sys.argv[3], json.loads(sys.argv[4]), variables, sys.argv[6], float(sys.argv[7]))
        sys.exit(kill(module, *args))
    task_ids = sys.argv[6].split(",") if len(sys.argv) > 6 else []
    sys.exit(run(module.dag, sys.argv[3], json.loads(sys.argv[4]), variables, task_ids))
