class AirflowException(Exception):
    """A task failure that Airflow retries while the task has retries left."""


class AirflowFailException(AirflowException):
    """A task failure that Airflow does not retry."""
