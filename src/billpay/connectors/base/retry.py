"""Bounded exponential backoff with jitter that honours ``Retry-After``.

The policy is a value handed to a connector, never inlined at call sites.
``sleep`` and ``random`` are injectable so tests run without real waiting and
with predictable delays.

What is retried is decided by the caller through ``retry_if``; the default
retries transient errors whose outcome is known (nothing was committed) and
leaves "outcome unknown" errors alone, because re-sending a write whose
outcome is unknown is only safe when the platform de-duplicates it (e.g.
QuickBooks' ``requestid``). Callers that send such a key pass
``replay_safe=True``.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import random as _random
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from billpay.sync.ports import ConnectorError

T = TypeVar("T")


@dataclass
class RetryPolicy:
    """How often and how long to wait before trying a failed call again.

    ``max_attempts`` counts the first try: 5 means one call plus four retries.
    The n-th wait is ``base_delay * 2**(n-1)`` capped at ``max_delay``, with
    "equal jitter" (half fixed, half random) so parallel workers spread out.
    A server-provided ``retry_after`` wins over the computed wait, capped at
    ``max_retry_after`` so a hostile header cannot park a worker for hours.

    ``max_wait``: a wait longer than this is not slept at all; the error is
    raised at once with ``retry_after`` set to the wait, so a background worker
    hands the work back for later instead of sleeping on it (and on the
    connection's lease). None: every wait is slept.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 120.0
    max_wait: float | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling / 2 + self.random() * ceiling / 2

    def run(
        self,
        call: Callable[[], T],
        *,
        replay_safe: bool = False,
        retry_if: Callable[[ConnectorError], bool] | None = None,
        on_retry: Callable[[int, ConnectorError, float], None] | None = None,
    ) -> T:
        """Run ``call`` until it succeeds, fails for good, or attempts run out.

        ``call`` signals failure by raising ``ConnectorError``. The last error
        is re-raised unchanged once attempts are exhausted.
        """
        should_retry = retry_if or (lambda error: default_retry_if(error, replay_safe=replay_safe))
        attempt = 1
        while True:
            try:
                return call()
            except ConnectorError as error:
                if attempt >= self.max_attempts or not should_retry(error):
                    raise
                wait = self.delay(attempt, error.retry_after)
                if self.max_wait is not None and wait > self.max_wait:
                    if error.retry_after is None:
                        error.retry_after = wait
                    raise
                if on_retry is not None:
                    on_retry(attempt, error, wait)
                self.sleep(wait)
                attempt += 1


def default_retry_if(error: ConnectorError, *, replay_safe: bool) -> bool:
    """Retry transient failures; unknown outcomes only when a replay cannot duplicate."""
    if error.kind != "transient":
        return False
    return replay_safe or not error.outcome_unknown


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/invalid."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    current = now or dt.datetime.now(dt.timezone.utc)
    return max((when - current).total_seconds(), 0.0)
