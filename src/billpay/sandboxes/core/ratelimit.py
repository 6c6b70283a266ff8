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
    """Requests per rolling window, requests in flight, batch requests per window.

    ``0`` disables a limit. Defaults are QuickBooks Online's documented limits (a one-minute
    window); a platform with another window sets ``window_seconds`` (Business Central: 6,000
    requests per 300 seconds), and ``per_minute`` then counts requests per that window.
    """

    per_minute: int = 500
    concurrent: int = 10
    batch_per_minute: int = 40
    window_seconds: int = 60


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
            span = float(lim.window_seconds or WINDOW_SECONDS)
            calls = _pruned(self._calls[key], t, span)
            if lim.concurrent and self._in_flight[key] >= lim.concurrent:
                return "concurrent"
            if lim.per_minute and len(calls) >= lim.per_minute:
                return "per_minute"
            if batch:
                batches = _pruned(self._batches[key], t, span)
                if lim.batch_per_minute and len(batches) >= lim.batch_per_minute:
                    return "batch_per_minute"
                batches.append(t)
            calls.append(t)
            self._in_flight[key] += 1
            return None

    def retry_after(self, key: str, refused_by: str, now: datetime) -> float:
        """Seconds a refused caller should wait: until the oldest call leaves the window, or 1 s for a
        request refused because too many were in flight."""
        if refused_by == "concurrent":
            return 1.0
        with self._lock:
            span = float(self.limits.window_seconds or WINDOW_SECONDS)
            window = self._batches[key] if refused_by == "batch_per_minute" else self._calls[key]
            if not window:
                return 1.0
            return max(1.0, window[0] + span - now.timestamp())

    def leave(self, key: str) -> None:
        with self._lock:
            if self._in_flight[key] > 0:
                self._in_flight[key] -= 1


def _pruned(window: deque[float], t: float, span: float = WINDOW_SECONDS) -> deque[float]:
    while window and (t - window[0] >= span or window[0] > t + span):
        window.popleft()
    return window
