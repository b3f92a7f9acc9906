from airflow import DAG


class PythonOperator:
    """A task that calls `python_callable(**op_kwargs, **context)`, chained with `>>`."""

    def __init__(self, task_id, python_callable, op_kwargs=None):
        self.task_id = task_id
        self.python_callable = python_callable
        self.op_kwargs = op_kwargs or {}
        self.upstream_list = []
        self.downstream_list = []
        DAG.current.task_dict[task_id] = self

    def __rshift__(self, other):
        self.downstream_list.append(other)
        other.upstream_list.append(self)
        return other

    def execute(self, context):
        return self.python_callable(**self.op_kwargs, **context)

    def on_kill(self):
        """What Airflow calls when it kills the running task: nothing, unless overridden."""
