"""The keyword options of ``Pusher`` and the push functions, as a ``TypedDict`` for type
checkers (``**options: Unpack[PusherOptions]``). Names are DESIGN.md's, durations are
seconds, and ``None`` leaves the core's default."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Union

if TYPE_CHECKING:
    from ._pushmetrics import Sampling

_Pairs = Mapping[str, Any] | Iterable[tuple[str, Any]]
# ``Pusher``'s ``url``: one URL, or several remote-write receivers written to at once.
_Urls = str | Sequence[str]
# A metric's ``sampling=``: ``Sampling.probability(0.1)`` or ``("probability", 0.1)``.
_SamplingArg = Union["Sampling", tuple[str, float], None]


class PusherOptions(TypedDict, total=False):
    """Every pusher option (DESIGN.md's names); durations in seconds, ``None`` = default."""

    grouping: _Pairs | None
    target: Literal["pushgateway", "remote_write", "textfile"] | None
    method: Literal["PUT", "POST", "put", "post"] | None
    format: Literal["text", "protobuf"] | None
    gzip: bool | None
    interval: float | None
    jitter: float | None
    connect_timeout: float | None
    request_timeout: float | None
    flush_deadline: float | None
    max_attempts: int | None
    backoff_base: float | None
    backoff_max: float | None
    retry_budget: float | None
    breaker_threshold: int | None
    breaker_open: float | None
    max_body_bytes: int | None
    # Remote write only.
    max_samples_per_send: int | None
    max_in_flight: int | None
    max_pending_samples: int | None
    staleness_markers: bool | None
    delete_on_shutdown: bool | None
    self_metrics: bool | None
    shutdown_timeout: float | None
    basic_auth: tuple[str, str] | None
    bearer_token: str | None
    headers: _Pairs | None
    ca_file: str | PathLike[str] | None
    ca_file_only: bool | None
    client_cert: str | PathLike[str] | None
    client_key: str | PathLike[str] | None
    ignore_env: bool | None
