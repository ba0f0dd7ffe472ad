"""pushmetrics: counters, gauges, histograms and summaries pushed from a background thread
to a Prometheus Pushgateway, with prometheus_client's API, or with
``target="remote_write"`` to remote-write receivers (Prometheus, VictoriaMetrics, Mimir).

>>> from pushmetrics import Counter, Pusher
>>> rows = Counter("rows_processed_total", "Rows processed", ["table"])
>>> pusher = Pusher("http://127.0.0.1:9091", "nightly_import")  # doctest: +SKIP
>>> rows.labels("users").inc(1000)

Names are used exactly as given (prometheus_client appends ``_total`` to counter names;
pushmetrics does not). Every pusher makes a final push at interpreter exit, and a forked
child gets pushers of its own (see ``pushmetrics._lifecycle``).
"""

from __future__ import annotations

from . import _lifecycle, _logging, multiprocess
from ._collectors import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
)
from ._context import ExceptionCounter, InProgress, Timer
from ._logging import set_log_level
from ._pushmetrics import (
    CONTENT_TYPE_LATEST,
    DEFAULT_BUCKETS,
    DEFAULT_QUANTILES,
    REGISTRY,
    Counter,
    Enum,
    FlushReport,
    Gauge,
    Histogram,
    HttpServer,
    Info,
    Pusher,
    ReceiverStats,
    Registry,
    Sampling,
    Stats,
    Summary,
    __version__,
    delete_from_gateway,
    generate_latest,
    push_to_gateway,
    pushadd_to_gateway,
    start_http_server,
    write_to_textfile,
)
from .core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
    StateSetMetricFamily,
    SummaryMetricFamily,
    UnknownMetricFamily,
    UntypedMetricFamily,
)
from .errors import (
    ConfigError,
    DuplicateMetricError,
    Error,
    FlushTimeoutError,
    InvalidNameError,
    InvalidValueError,
    LabelError,
    ListenError,
    PushError,
    ShutdownError,
)

#: prometheus_client's name for a registry.
CollectorRegistry = Registry

__all__ = [
    "CONTENT_TYPE_LATEST",
    "DEFAULT_BUCKETS",
    "DEFAULT_QUANTILES",
    "REGISTRY",
    "CollectorRegistry",
    "ConfigError",
    "Counter",
    "CounterMetricFamily",
    "DuplicateMetricError",
    "Enum",
    "Error",
    "ExceptionCounter",
    "FlushReport",
    "FlushTimeoutError",
    "GC_COLLECTOR",
    "GCCollector",
    "Gauge",
    "GaugeMetricFamily",
    "Histogram",
    "HistogramMetricFamily",
    "HttpServer",
    "InProgress",
    "Info",
    "InfoMetricFamily",
    "InvalidNameError",
    "InvalidValueError",
    "LabelError",
    "ListenError",
    "Metric",
    "PLATFORM_COLLECTOR",
    "PROCESS_COLLECTOR",
    "PlatformCollector",
    "ProcessCollector",
    "PushError",
    "Pusher",
    "PusherOptions",
    "ReceiverStats",
    "Registry",
    "Sampling",
    "ShutdownError",
    "StateSetMetricFamily",
    "Stats",
    "Summary",
    "SummaryMetricFamily",
    "Timer",
    "UnknownMetricFamily",
    "UntypedMetricFamily",
    "__version__",
    "delete_from_gateway",
    "generate_latest",
    "multiprocess",
    "push_to_gateway",
    "pushadd_to_gateway",
    "set_log_level",
    "start_http_server",
    "write_to_textfile",
]

_logging.install_exit_hook()
_lifecycle.install()
_logging.install()


def __getattr__(name: str) -> object:
    # PusherOptions (a TypedDict, for type checkers) is loaded on first use: building it
    # imports typing's runtime machinery, several ms that every short job would pay.
    if name == "PusherOptions":
        from ._options import PusherOptions

        return PusherOptions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
