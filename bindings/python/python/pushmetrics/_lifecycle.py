"""Process lifecycle hooks: at interpreter exit every live pusher makes its final flush
(each bounded by its ``shutdown_timeout``), and around ``fork()`` the core's fork handlers
run so that the child gets working pushers of its own.

The fork handlers are installed with ``pthread_atfork``: they run inside ``fork()`` itself,
after every ``os.register_at_fork`` hook (``logging``'s, the application's), so no Python
code runs while they hold the library's locks.

After a fork the child's pushers push to their own group, the parent's grouping plus a
``pid`` label with the child's process id, and its counters, histograms and summaries
restart from zero (gauges keep their values): the parent's numbers are never counted
twice. A ``multiprocessing`` child leaves through ``os._exit()``, which skips ``atexit``;
its final flush is hooked on multiprocessing's own exit path instead. Other code that ends
a child with ``os._exit()`` should call ``pusher.shutdown()`` first.
"""

from __future__ import annotations

import atexit
import os
import sys

from ._pushmetrics import _install_fork_handlers, _shutdown_all


class _Token:
    """Something for ``multiprocessing.util.register_after_fork`` to hold weakly."""


_TOKEN = _Token()


def _final_flush_in_multiprocessing_child(_: object) -> None:
    mp_util = sys.modules["multiprocessing.util"]
    mp_util.Finalize(None, _shutdown_all, exitpriority=0)


def _after_fork_in_child() -> None:
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None:
        # multiprocessing clears its finalizers in the child right after this hook and
        # then runs its after-fork callbacks: the final flush is registered from there.
        mp_util.register_after_fork(_TOKEN, _final_flush_in_multiprocessing_child)


def _at_exit() -> None:
    _shutdown_all()
    from . import multiprocess

    multiprocess._remove_dirs()


def install() -> None:
    atexit.register(_at_exit)
    _install_fork_handlers()
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
