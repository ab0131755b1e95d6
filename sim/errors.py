"""Exceptions that separate bad input (exit code 2) from a failed run (exit code 1)."""


class InputError(Exception):
    """Bad user input: a config, a CSV or a command-line value. The message is complete
    (it names the file, the key path, the value and what is allowed) and is shown as is."""


class ConservationError(RuntimeError):
    """A run lost or created parcels or produce: the model is wrong, never the input."""
