"""A stand-in for Apache Airflow, holding only what conf/airflow/edl_dist_dag.py imports.

It records a DAG's tasks, their order and their callables so that a test can check the
DAG's shape and call each task as a worker would. It schedules nothing, retries nothing,
validates no Param and renders no template: what Airflow itself does is not tested here.
"""


class DAG:
    """A DAG's tasks and the settings a test checks; operators made inside `with DAG(...)`
    join it. Its other arguments (schedule, doc_md ...) are Airflow's business: ignored."""

    current = None

    def __init__(self, dag_id, params=None, default_args=None, max_active_runs=None, **_):
        self.dag_id = dag_id
        self.params = params or {}
        self.default_args = default_args or {}
        self.max_active_runs = max_active_runs
        self.task_dict = {}

    def __enter__(self):
        DAG.current = self
        return self

    def __exit__(self, *exc):
        DAG.current = None
