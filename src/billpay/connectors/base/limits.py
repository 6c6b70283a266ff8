"""Platform limits a connector must respect: requests in flight and request budgets per company.

A connector receives a ``PlatformLimiter`` (factory override ``limiter=``) and
wraps every platform request in ``with limiter.slot(): ...`` and, where the
platform budgets requests per time window, calls ``limiter.spend(bucket)``
first. The default ``LocalLimiter`` holds within one process; the sync engine
may hand every connector of one company the same limiter backed by shared
storage, so that all workers together stay inside the platform's limits.

Keys are chosen by the caller (``"<platform>:<company id>"``) so two
connections to one company share their budget.
"""
from __future__ import annotations

import contextlib
import re
import threading
import time
from typing import Callable, Iterator, Mapping, Protocol

_WINDOW = re.compile(r"_per_(?:(\d+(?:\.\d+)?)_)?(second|minute|hour)s?$")
_UNIT = {"second": 1.0, "minute": 60.0, "hour": 3600.0}


def window_seconds(bucket: str) -> float | None:
    """The window of a budget named ``<what>_per_<window>``: ``requests_per_minute`` -> 60,
    ``requests_per_5_minutes`` -> 300, ``requests_per_second`` -> 1; not a budget name -> None."""
    m = _WINDOW.search(bucket)
    if m is None:
        return None
    return float(m.group(1) or 1) * _UNIT[m.group(2)]


class PlatformLimiter(Protocol):
    def slot(self) -> contextlib.AbstractContextManager[None]:
        """Hold one of the company's concurrent-request slots while the block runs (blocks until free)."""

    def spend(self, bucket: str, amount: float = 1.0) -> None:
        """Take ``amount`` from the named budget (e.g. ``requests_per_minute``), waiting until it has it."""


class LocalLimiter:
    """In-process limits: a semaphore of ``concurrency`` slots and token buckets refilled over their window.

    ``budgets`` maps a bucket name ``<what>_per_<window>`` to its size, e.g.
    ``{"requests_per_minute": 500, "batches_per_minute": 40}`` or ``{"requests_per_5_minutes": 6000}``;
    unknown buckets are unlimited. ``clock``/``sleep`` are injectable for tests.
    """

    def __init__(self, concurrency: int = 1, budgets: Mapping[str, float] | None = None, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._slots = threading.BoundedSemaphore(concurrency)
        self._budgets = dict(budgets or {})
        self._tokens = dict(self._budgets)
        self._stamp = {name: clock() for name in self._budgets}
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep
        self.in_flight = 0
        self.peak_in_flight = 0

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        self._slots.acquire()
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
            self._slots.release()

    def spend(self, bucket: str, amount: float = 1.0) -> None:
        size = self._budgets.get(bucket)
        if size is None:
            return
        rate = size / (window_seconds(bucket) or 60.0)
        while True:
            with self._lock:
                now = self._clock()
                self._tokens[bucket] = min(size, self._tokens[bucket] + (now - self._stamp[bucket]) * rate)
                self._stamp[bucket] = now
                if self._tokens[bucket] >= amount:
                    self._tokens[bucket] -= amount
                    return
                wait = (amount - self._tokens[bucket]) / rate
            self._sleep(wait)


__all__ = ["LocalLimiter", "PlatformLimiter", "window_seconds"]
