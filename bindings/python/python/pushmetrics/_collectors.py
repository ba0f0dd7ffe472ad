"""The default collectors of prometheus_client: the process metrics (computed by the
library itself, from ``/proc/self`` on Linux), and the Python runtime's ``python_info``
and garbage-collector counters, which only the interpreter knows. All three are on for
``REGISTRY`` from import, as in prometheus_client.
"""

from __future__ import annotations

import gc
import sys

from ._pushmetrics import REGISTRY
from .core import CounterMetricFamily, GaugeMetricFamily

# typing and platform are left out at run time: together they would cost every short job
# more than the rest of the package.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ._pushmetrics import Registry
    from .core import Metric


class ProcessCollector:
    """Adds the process metrics (``process_cpu_seconds_total``, ``process_open_fds``,
    ``process_max_fds``, ``process_virtual_memory_bytes``,
    ``process_resident_memory_bytes``, ``process_start_time_seconds``) to ``registry``;
    ``REGISTRY`` has them from the start (``PROCESS_COLLECTOR``). The library computes them
    (Linux only: elsewhere they are absent); prometheus_client's ``namespace``, ``pid`` and
    ``proc`` are not supported."""

    #: The library's collector this object stands for in ``register`` and ``unregister``.
    _core_collector = "process"

    def __init__(self, registry: Registry | None = REGISTRY) -> None:
        if registry is not None:
            registry.register(self)


#: platform.python_implementation()'s names of sys.implementation.name.
_IMPLEMENTATIONS = {
    "cpython": "CPython",
    "pypy": "PyPy",
    "ironpython": "IronPython",
    "jython": "Jython",
}


class PlatformCollector:
    """``python_info``: the interpreter's implementation and version, as labels of a gauge
    of value 1."""

    def __init__(self, registry: Registry | None = REGISTRY, platform: Any | None = None) -> None:
        if platform is None:
            version = sys.version.split()[0]
            implementation = _IMPLEMENTATIONS.get(sys.implementation.name, sys.implementation.name)
        else:
            version = platform.python_version()
            implementation = platform.python_implementation()
        major, minor, patchlevel = version.split(".", 2)
        info = {
            "version": version,
            "implementation": implementation,
            "major": major,
            "minor": minor,
            "patchlevel": patchlevel,
        }
        g = GaugeMetricFamily("python_info", "Python platform information", labels=list(info))
        g.add_metric(list(info.values()), 1)
        self._metrics: list[Metric] = [g]
        if registry is not None:
            registry.register(self)

    def collect(self) -> Iterable[Metric]:
        return self._metrics


class GCCollector:
    """The garbage collector's counts per generation (CPython only)."""

    def __init__(self, registry: Registry | None = REGISTRY) -> None:
        if not hasattr(gc, "get_stats") or sys.implementation.name != "cpython":
            return
        if registry is not None:
            registry.register(self)

    def collect(self) -> Iterable[Metric]:
        collected = CounterMetricFamily(
            "python_gc_objects_collected", "Objects collected during gc", labels=["generation"]
        )
        uncollectable = CounterMetricFamily(
            "python_gc_objects_uncollectable",
            "Uncollectable objects found during GC",
            labels=["generation"],
        )
        collections = CounterMetricFamily(
            "python_gc_collections",
            "Number of times this generation was collected",
            labels=["generation"],
        )
        for gen, stat in enumerate(gc.get_stats()):
            generation = str(gen)
            collected.add_metric([generation], value=stat["collected"])
            uncollectable.add_metric([generation], value=stat["uncollectable"])
            collections.add_metric([generation], value=stat["collections"])
        return [collected, uncollectable, collections]


PROCESS_COLLECTOR = ProcessCollector(registry=None)
"""The process collector ``REGISTRY`` has from the start;
``REGISTRY.unregister(PROCESS_COLLECTOR)`` removes it."""

PLATFORM_COLLECTOR = PlatformCollector()
"""The PlatformCollector of ``REGISTRY``."""

GC_COLLECTOR = GCCollector()
"""The GCCollector of ``REGISTRY``."""
