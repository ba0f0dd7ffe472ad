"""Metric families for custom collectors, with prometheus_client's constructors and
``add_metric``: ``from pushmetrics.core import GaugeMetricFamily`` where code had
``from prometheus_client.core import GaugeMetricFamily``.

A collector is any object with a ``collect()`` method returning or yielding families;
``REGISTRY.register(collector)`` makes every push, textfile write and scrape call it.

>>> from pushmetrics.core import GaugeMetricFamily
>>> class QueueCollector:
...     def collect(self):
...         g = GaugeMetricFamily("queue_depth", "Jobs waiting", labels=["queue"])
...         g.add_metric(["mail"], 3)
...         yield g

The families hold prometheus_client's samples (``Sample(name, labels, value, ...)``); the
library reads them at collection and sends them as the text format 0.0.4 shows them: a
counter ``x`` as ``x_total``, an info ``x`` as the gauge ``x_info``, a state set and an
unknown metric as gauges. ``_created`` samples are not sent.
"""

from __future__ import annotations

from collections import namedtuple

from ._pushmetrics import (
    REGISTRY,
    Counter,
    Enum,
    Gauge,
    Histogram,
    Info,
    Registry,
    Summary,
)

# Imported by type checkers only, as typing would be: every short job pays each import.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

CollectorRegistry = Registry

METRIC_TYPES = (
    "counter",
    "gauge",
    "summary",
    "histogram",
    "gaugehistogram",
    "unknown",
    "info",
    "stateset",
)


class Timestamp:
    """A sample's timestamp (seconds and nanoseconds), as prometheus_client has it. The
    text format 0.0.4 the library sends carries no timestamps: it is kept, not sent."""

    def __init__(self, sec: float, nsec: float) -> None:
        self.sec = int(sec)
        self.nsec = int(nsec)

    def __float__(self) -> float:
        return self.sec + self.nsec / 1e9

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timestamp) and (self.sec, self.nsec) == (other.sec, other.nsec)

    def __repr__(self) -> str:
        return f"Timestamp({self.sec}, {self.nsec})"


# collections.namedtuple rather than typing.NamedTuple, for the same reason.
Exemplar = namedtuple(  # noqa: PYI024 (typing.NamedTuple would import typing)
    "Exemplar", ["labels", "value", "timestamp"], defaults=[None]
)
Exemplar.__doc__ = "An exemplar, as prometheus_client has it (kept, not sent)."

Sample = namedtuple(  # noqa: PYI024
    "Sample",
    ["name", "labels", "value", "timestamp", "exemplar", "native_histogram"],
    defaults=[None, None, None],
)
Sample.__doc__ = "One sample of a family: its full name, labels and value."


class Metric:
    """A metric family and its samples. Custom collectors use the ``*MetricFamily``
    classes below."""

    def __init__(self, name: str, documentation: str, typ: str, unit: str = "") -> None:
        if unit and not name.endswith("_" + unit):
            name += "_" + unit
        self.name: str = name
        self.documentation: str = documentation
        self.unit: str = unit
        if typ == "untyped":
            typ = "unknown"
        if typ not in METRIC_TYPES:
            raise ValueError("Invalid metric type: " + typ)
        self.type: str = typ
        self.samples: list[Sample] = []

    def add_sample(
        self,
        name: str,
        labels: dict[str, str],
        value: float,
        timestamp: Timestamp | float | None = None,
        exemplar: Exemplar | None = None,
        native_histogram: object | None = None,
    ) -> None:
        """Adds a sample to the family."""
        self.samples.append(Sample(name, labels, value, timestamp, exemplar, native_histogram))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Metric)
            and self.name == other.name
            and self.documentation == other.documentation
            and self.type == other.type
            and self.unit == other.unit
            and self.samples == other.samples
        )

    def __repr__(self) -> str:
        return (
            f"Metric({self.name}, {self.documentation}, {self.type}, {self.unit}, {self.samples})"
        )


def _pairs(names: Sequence[str], values: Sequence[str]) -> dict[str, str]:
    """Label names to values; as in prometheus_client, a count that differs is cut to the
    shorter one, not refused."""
    return dict(zip(names, values, strict=False))


def _one_of(labels: Sequence[str] | None, value: object, what: str = "value") -> tuple[str, ...]:
    if labels is not None and value is not None:
        raise ValueError(f"Can only specify at most one of {what} and labels.")
    return tuple(labels) if labels is not None else ()


class UnknownMetricFamily(Metric):
    """A metric of unknown type (sent as a gauge)."""

    def __init__(
        self,
        name: str,
        documentation: str,
        value: float | None = None,
        labels: Sequence[str] | None = None,
        unit: str = "",
    ) -> None:
        Metric.__init__(self, name, documentation, "unknown", unit)
        self._labelnames = _one_of(labels, value)
        if value is not None:
            self.add_metric([], value)

    def add_metric(
        self,
        labels: Sequence[str],
        value: float,
        timestamp: Timestamp | float | None = None,
    ) -> None:
        """Adds the series with these label values."""
        self.samples.append(Sample(self.name, _pairs(self._labelnames, labels), value, timestamp))


UntypedMetricFamily = UnknownMetricFamily


class CounterMetricFamily(Metric):
    """A counter. As in prometheus_client, a name ending in ``_total`` loses it here and
    every sample is named ``<name>_total``."""

    def __init__(
        self,
        name: str,
        documentation: str,
        value: float | None = None,
        labels: Sequence[str] | None = None,
        created: float | None = None,
        unit: str = "",
        exemplar: Exemplar | None = None,
    ) -> None:
        if name.endswith("_total"):
            name = name[:-6]
        Metric.__init__(self, name, documentation, "counter", unit)
        self._labelnames = _one_of(labels, value)
        if value is not None:
            self.add_metric([], value, created, exemplar=exemplar)

    def add_metric(
        self,
        labels: Sequence[str],
        value: float,
        created: float | None = None,
        timestamp: Timestamp | float | None = None,
        exemplar: Exemplar | None = None,
    ) -> None:
        """Adds the series with these label values."""
        values = _pairs(self._labelnames, labels)
        self.samples.append(Sample(self.name + "_total", values, value, timestamp, exemplar))
        if created is not None:
            self.samples.append(Sample(self.name + "_created", dict(values), created, timestamp))


class GaugeMetricFamily(Metric):
    """A gauge."""

    def __init__(
        self,
        name: str,
        documentation: str,
        value: float | None = None,
        labels: Sequence[str] | None = None,
        unit: str = "",
    ) -> None:
        Metric.__init__(self, name, documentation, "gauge", unit)
        self._labelnames = _one_of(labels, value)
        if value is not None:
            self.add_metric([], value)

    def add_metric(
        self,
        labels: Sequence[str],
        value: float,
        timestamp: Timestamp | float | None = None,
    ) -> None:
        """Adds the series with these label values."""
        self.samples.append(Sample(self.name, _pairs(self._labelnames, labels), value, timestamp))


class SummaryMetricFamily(Metric):
    """A summary of a count and a sum (no quantiles, as in prometheus_client)."""

    def __init__(
        self,
        name: str,
        documentation: str,
        count_value: int | None = None,
        sum_value: float | None = None,
        labels: Sequence[str] | None = None,
        unit: str = "",
    ) -> None:
        Metric.__init__(self, name, documentation, "summary", unit)
        if (sum_value is None) != (count_value is None):
            raise ValueError("count_value and sum_value must be provided together.")
        self._labelnames = _one_of(labels, count_value)
        if count_value is not None and sum_value is not None:
            self.add_metric([], count_value, sum_value)

    def add_metric(
        self,
        labels: Sequence[str],
        count_value: int,
        sum_value: float,
        timestamp: float | Timestamp | None = None,
    ) -> None:
        """Adds the series with these label values."""
        values = _pairs(self._labelnames, labels)
        self.samples.append(Sample(self.name + "_count", values, count_value, timestamp))
        self.samples.append(Sample(self.name + "_sum", dict(values), sum_value, timestamp))


class HistogramMetricFamily(Metric):
    """A histogram: ``buckets`` are ``(upper bound as str, cumulative count)`` pairs,
    sorted, ending with ``+Inf``."""

    def __init__(
        self,
        name: str,
        documentation: str,
        buckets: Sequence[tuple[str, float] | tuple[str, float, Exemplar]] | None = None,
        sum_value: float | None = None,
        labels: Sequence[str] | None = None,
        unit: str = "",
    ) -> None:
        Metric.__init__(self, name, documentation, "histogram", unit)
        if sum_value is not None and buckets is None:
            raise ValueError("sum value cannot be provided without buckets.")
        self._labelnames = _one_of(labels, buckets, "buckets")
        if buckets is not None:
            self.add_metric([], buckets, sum_value)

    def add_metric(
        self,
        labels: Sequence[str],
        buckets: Sequence[tuple[str, float] | tuple[str, float, Exemplar]],
        sum_value: float | None,
        timestamp: Timestamp | float | None = None,
    ) -> None:
        """Adds the series with these label values."""
        for b in buckets:
            bound, value = b[:2]
            exemplar = b[2] if len(b) == 3 else None  # type: ignore[misc]
            self.samples.append(
                Sample(
                    self.name + "_bucket",
                    {**_pairs(self._labelnames, labels), "le": bound},
                    value,
                    timestamp,
                    exemplar,  # type: ignore[arg-type]
                )
            )
        if float(buckets[0][0]) >= 0 and sum_value is not None:
            values = _pairs(self._labelnames, labels)
            self.samples.append(Sample(self.name + "_count", values, buckets[-1][1], timestamp))
            self.samples.append(Sample(self.name + "_sum", dict(values), sum_value, timestamp))


class InfoMetricFamily(Metric):
    """Key-value information, sent as the gauge ``<name>_info`` of value 1."""

    def __init__(
        self,
        name: str,
        documentation: str,
        value: dict[str, str] | None = None,
        labels: Sequence[str] | None = None,
    ) -> None:
        Metric.__init__(self, name, documentation, "info")
        self._labelnames = _one_of(labels, value)
        if value is not None:
            self.add_metric([], value)

    def add_metric(
        self,
        labels: Sequence[str],
        value: dict[str, str],
        timestamp: Timestamp | float | None = None,
    ) -> None:
        """Adds the series with these label values and this information."""
        self.samples.append(
            Sample(
                self.name + "_info", dict(_pairs(self._labelnames, labels), **value), 1, timestamp
            )
        )


class StateSetMetricFamily(Metric):
    """A set of states, each true or false: sent as a gauge with one series per state,
    labelled with the metric's name, 1 when true."""

    def __init__(
        self,
        name: str,
        documentation: str,
        value: dict[str, bool] | None = None,
        labels: Sequence[str] | None = None,
    ) -> None:
        Metric.__init__(self, name, documentation, "stateset")
        self._labelnames = _one_of(labels, value)
        if value is not None:
            self.add_metric([], value)

    def add_metric(
        self,
        labels: Sequence[str],
        value: dict[str, bool],
        timestamp: Timestamp | float | None = None,
    ) -> None:
        """Adds the series with these label values, one per state."""
        labels = tuple(labels)
        for state, enabled in sorted(value.items()):
            v = 1 if enabled else 0
            self.samples.append(
                Sample(
                    self.name,
                    _pairs(self._labelnames + (self.name,), labels + (state,)),
                    v,
                    timestamp,
                )
            )


__all__ = [
    "REGISTRY",
    "CollectorRegistry",
    "Counter",
    "CounterMetricFamily",
    "Enum",
    "Exemplar",
    "Gauge",
    "GaugeMetricFamily",
    "Histogram",
    "HistogramMetricFamily",
    "Info",
    "InfoMetricFamily",
    "Metric",
    "Registry",
    "Sample",
    "StateSetMetricFamily",
    "Summary",
    "SummaryMetricFamily",
    "Timestamp",
    "UnknownMetricFamily",
    "UntypedMetricFamily",
]
