_NOT_SET = object()


class Variable:
    """Airflow Variables, read from `values`, which a test fills."""

    values = {}

    @classmethod
    def get(cls, key, default_var=_NOT_SET):
        if key in cls.values:
            return cls.values[key]
        if default_var is _NOT_SET:
            raise KeyError(f"Variable {key} does not exist")
        return default_var
