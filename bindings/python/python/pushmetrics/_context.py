"""Context managers that are also decorators, as prometheus_client has them: ``time()``,
``track_inprogress()`` and ``count_exceptions()`` return these. Only call shapes live here;
every number is recorded by the compiled metric."""

from __future__ import annotations

import functools
from time import perf_counter

# Not imported from typing: importing typing costs every short job several ms, and these
# names only serve annotations (type checkers read the constant the same way).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])


def _decorate(func: F, make: Callable[[], Any]) -> F:
    """Wraps ``func`` (plain or ``async``) so that each call runs inside ``make()``."""
    # Imported here, not at the top: inspect pulls in ast and tokenize, about 15 ms that
    # every short job would pay at import even when it decorates nothing.
    import inspect

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapped(*args: Any, **kwargs: Any) -> Any:
            with make():
                return await func(*args, **kwargs)

        return async_wrapped  # type: ignore[return-value]

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with make():
            return func(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


class Timer:
    """Records the seconds spent inside a ``with`` block or a decorated call."""

    __slots__ = ("_record", "_start")

    def __init__(self, record: Callable[[float], None]) -> None:
        self._record = record
        self._start = 0.0

    def __enter__(self) -> Timer:
        self._start = perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self._record(max(perf_counter() - self._start, 0.0))

    def __call__(self, func: F) -> F:
        return _decorate(func, lambda: Timer(self._record))


class InProgress:
    """Adds one to a gauge on entry and subtracts it on exit."""

    __slots__ = ("_gauge",)

    def __init__(self, gauge: Any) -> None:
        self._gauge = gauge

    def __enter__(self) -> InProgress:
        self._gauge.inc()
        return self

    def __exit__(self, *exc: object) -> None:
        self._gauge.dec()

    def __call__(self, func: F) -> F:
        return _decorate(func, lambda: self)


class ExceptionCounter:
    """Counts exceptions of the given type that leave a ``with`` block or a decorated call;
    the exception still propagates."""

    __slots__ = ("_counter", "_exception")

    def __init__(
        self, counter: Any, exception: type[BaseException] | tuple[type[BaseException], ...]
    ) -> None:
        self._counter = counter
        self._exception = exception

    def __enter__(self) -> ExceptionCounter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> bool:
        if exc_type is not None and issubclass(exc_type, self._exception):
            self._counter.inc()
        return False

    def __call__(self, func: F) -> F:
        return _decorate(func, lambda: self)
