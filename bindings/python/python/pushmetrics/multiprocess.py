"""Multiprocess mode: exact totals from worker processes, pushed by one process.

Jobs that fan out to worker processes (``multiprocessing`` with ``fork``, ``spawn`` or
``forkserver``, ``concurrent.futures.ProcessPoolExecutor``, a gunicorn-style prefork
loop) turn it on once, in the process that pushes, before the workers start:

>>> from pushmetrics import multiprocess
>>> multiprocess.enable()  # doctest: +SKIP

From then on every process of the job writes each update through to a file of its own
in a shared directory (memory mapped from it: nothing is lost when a worker is killed or
ended without running exit hooks), and this process, the owner, pushes the sums over all
of them, dead workers included, to its one group. Workers push nothing and leave no
group behind. Processes started later find the directory in ``PUSHMETRICS_MULTIPROC_DIR``
(set here); setting that variable before the job starts turns the mode on as well, with
the first process as the owner.

Counters and histograms add up; summaries report their count and sum (quantiles of
separate processes do not combine); gauges follow their ``multiprocess_mode``
(``"all"``, the default, one series per process with a ``pid`` label, ``"liveall"``,
``"sum"``, ``"livesum"``, ``"max"``, ``"livemax"``, ``"min"``, ``"livemin"``,
``"mostrecent"``, ``"livemostrecent"``), as prometheus_client's do.
"""

from __future__ import annotations

import os

from ._pushmetrics import (
    REGISTRY,
    Registry,
    _enable_multiprocess,
    _is_multiprocess_worker,
    _multiprocess_dir,
    _remove_multiprocess_dir,
)

#: The directory of the mode, for processes started later.
DIR_ENV = "PUSHMETRICS_MULTIPROC_DIR"
#: The process id of the owner, for processes started later.
OWNER_ENV = "PUSHMETRICS_MULTIPROC_OWNER"

_enabled: list = []


def enable(
    path: str | os.PathLike[str] | None = None, registry: Registry = REGISTRY
) -> str:
    """Turns multiprocess mode on for ``registry`` with the directory ``path`` (made if
    missing; a new temporary directory, removed at exit, if ``None``) and makes this
    process its owner. Returns the directory. Call it before workers start."""
    d = str(_enable_multiprocess(path, registry))
    # The core has set these for the C environment; keep os.environ in step.
    os.environ[DIR_ENV] = d
    os.environ[OWNER_ENV] = str(os.getpid())
    _enabled.append(registry)
    return d


def directory(registry: Registry = REGISTRY) -> str | None:
    """The directory of ``registry``'s multiprocess mode, or ``None`` when it is off."""
    d = _multiprocess_dir(registry)
    return None if d is None else str(d)


def is_worker(registry: Registry = REGISTRY) -> bool:
    """Whether this process is a worker: its pushers send nothing, since the owner
    reports what it records."""
    return _is_multiprocess_worker(registry)


def mark_process_dead(pid: int, path: str | None = None) -> None:
    """Accepted for prometheus_client compatibility; nothing to do. An ended process is
    recognised on its own: the kernel lets go of the lock it held on its file."""
    del pid, path


def _remove_dirs() -> None:
    """At exit, after the final pushes: removes the directories the mode made."""
    for registry in _enabled:
        _remove_multiprocess_dir(registry)
    _remove_multiprocess_dir(REGISTRY)
