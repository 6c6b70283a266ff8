"""Per-key (per company) request-rate and concurrency limits."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

WINDOW_SECONDS = 60.0


@dataclass
class Limits:
    """Requests per rolling minute, requests in flight, batch requests per minute.

    ``0`` disables a limit. Defaults are QuickBooks Online's documented limits.
    """

    per_minute: int = 500
    concurrent: int = 10
    batch_per_minute: int = 40


class RateLimiter:
    """Admits or refuses a request; refused requests do not count toward the window."""

    def __init__(self, limits: Limits | None = None) -> None:
        self._lock = threading.Lock()
        self.limits = limits or Limits()
        self._defaults = asdict(self.limits)
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._batches: dict[str, deque[float]] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)

    def configure(self, **limits: Any) -> dict:
        with self._lock:
            for key, value in limits.items():
                if key not in self._defaults:
                    raise ValueError(f"unknown limit: {key}")
                number = int(value)
                if number < 0:
                    raise ValueError(f"{key} must be >= 0")
                setattr(self.limits, key, number)
            return asdict(self.limits)

    def snapshot(self) -> dict:
        with self._lock:
            return {**asdict(self.limits), "in_flight": {k: v for k, v in self._in_flight.items() if v}}

    def reset(self, *, limits_too: bool = False) -> None:
        with self._lock:
            self._calls.clear()
            self._batches.clear()
            self._in_flight.clear()
            if limits_too:
                self.limits = Limits(**self._defaults)

    def try_enter(self, key: str, now: datetime, *, batch: bool = False) -> str | None:
        """Admit one request: None when admitted (call ``leave`` afterwards),
        otherwise the name of the limit that refused it."""
        t = now.timestamp()
        with self._lock:
            lim = self.limits
            calls = _pruned(self._calls[key], t)
            if lim.concurrent and self._in_flight[key] >= lim.concurrent:
                return "concurrent"
            if lim.per_minute and len(calls) >= lim.per_minute:
                return "per_minute"
            if batch:
                batches = _pruned(self._batches[key], t)
                if lim.batch_per_minute and len(batches) >= lim.batch_per_minute:
                    return "batch_per_minute"
                batches.append(t)
            calls.append(t)
            self._in_flight[key] += 1
            return None

    def leave(self, key: str) -> None:
        with self._lock:
            if self._in_flight[key] > 0:
                self._in_flight[key] -= 1


def _pruned(window: deque[float], t: float) -> deque[float]:
    while window and (t - window[0] >= WINDOW_SECONDS or window[0] > t + WINDOW_SECONDS):
        window.popleft()
    return window
