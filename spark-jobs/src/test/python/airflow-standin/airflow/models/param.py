class Param:
    """A DAG parameter: its default `value` and its JSON schema (not checked here)."""

    def __init__(self, default=None, **schema):
        self.value = default
        self.schema = schema
