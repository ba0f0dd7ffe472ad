"""The core's warnings (push failed, breaker opened, series overflowed, samples dropped)
go to the ``logging`` logger ``"pushmetrics"``. The push thread only queues a record; a
daemon thread here delivers it, so the push thread never waits for the GIL. Records below
the logger's effective level (WARNING unless configured) are not even queued.

``logging`` is imported only by ``install()``, after the fork hooks of ``_lifecycle`` are
registered: its own fork hooks (Python functions, during which another thread may take
the GIL) then run before the core's, not between the core's taking of its locks and the
fork.
"""

from __future__ import annotations

import atexit
import os
import threading

from ._pushmetrics import _install_logger, _next_log_records, _set_log_level

# How long the delivery thread waits for records before it looks at the logger's level.
_POLL = 0.5

_stopping = threading.Event()
_level: int | None = None
_logger = None  # logging.getLogger("pushmetrics") once installed


def _sync_level() -> None:
    global _level
    if _logger is None:
        return
    level = _logger.getEffectiveLevel()
    if level != _level:
        _level = level
        _set_log_level(level)


def _deliver(records: list[tuple[int, str, str]]) -> None:
    if _logger is None:
        return
    for level, _target, message in records:
        _logger.log(level, "%s", message)


def _run() -> None:
    while not _stopping.is_set():
        _sync_level()
        _deliver(_next_log_records(_POLL))


def _start() -> None:
    threading.Thread(target=_run, name="pushmetrics-log", daemon=True).start()


def _at_exit() -> None:
    # Registered before the pushers' final flush, so it runs after it: what that flush
    # logged is delivered here, without waiting for anything more.
    _stopping.set()
    while records := _next_log_records(0.0):
        _deliver(records)


def set_log_level(level: int | str) -> None:
    """Sets the level of the ``"pushmetrics"`` logger and applies it to the core at once
    (a level set with ``logging.getLogger("pushmetrics").setLevel`` applies within half a
    second)."""
    import logging

    logging.getLogger("pushmetrics").setLevel(level)
    _sync_level()


def install_exit_hook() -> None:
    """Called before ``_lifecycle.install()``: atexit runs last-in first-out, so records of
    the pushers' final flush are delivered after it."""
    atexit.register(_at_exit)


def install() -> None:
    """Called after ``_lifecycle.install()``."""
    global _logger
    if not _install_logger():
        return  # the application installed a Rust logger of its own: leave it be
    import logging

    _logger = logging.getLogger("pushmetrics")
    _sync_level()
    _start()
    if hasattr(os, "register_at_fork"):
        # A forked child has no delivery thread: it gets one of its own.
        os.register_at_fork(after_in_child=_start)
