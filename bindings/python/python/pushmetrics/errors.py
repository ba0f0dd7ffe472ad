"""The exceptions of pushmetrics: one base class, and subclasses that also derive from the
built-in exception a Python user would catch (``ValueError`` for bad names, values and
options, ``OSError`` for failed pushes, ``TimeoutError`` for flushes that ran out of time).
Every message names the offending value."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DuplicateMetricError",
    "Error",
    "FlushTimeoutError",
    "InvalidNameError",
    "InvalidValueError",
    "LabelError",
    "ListenError",
    "PushError",
    "ShutdownError",
]


class Error(Exception):
    """Base class of every pushmetrics error."""


class InvalidNameError(Error, ValueError):
    """A metric or label name that is malformed, reserved or given twice."""


class LabelError(Error, ValueError):
    """Label values that do not fit the metric's label names (count, unknown name)."""


class InvalidValueError(Error, ValueError):
    """A value that cannot be recorded: a negative counter increment, a NaN observation."""


class ConfigError(Error, ValueError):
    """An option out of range: buckets not increasing, a quantile outside 0..1, ..."""


class DuplicateMetricError(Error, ValueError):
    """A name registered again with another type, help, label names or options."""


class PushError(Error, OSError):
    """A push or delete that failed for good (after its retries), or a textfile that could
    not be written (the message names the path and the system's reason)."""


class ListenError(Error, OSError):
    """An HTTP server that cannot listen on its address (in use, not local, no permission)."""


class FlushTimeoutError(Error, TimeoutError):
    """A flush or shutdown that did not finish within its timeout."""


class ShutdownError(Error, RuntimeError):
    """A call on a pusher that has been shut down."""
