"""The in-process platform limiter: slots never exceed the concurrency, budgets refill per minute."""
from __future__ import annotations

import threading

import pytest

from billpay.connectors.base.limits import LocalLimiter


def test_no_more_requests_in_flight_than_the_platform_allows():
    limiter = LocalLimiter(concurrency=3)
    barrier = threading.Event()

    def call():
        with limiter.slot():
            barrier.wait(0.05)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert limiter.peak_in_flight == 3 and limiter.in_flight == 0


def test_a_spent_budget_waits_for_its_refill():
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = LocalLimiter(budgets={"batches_per_minute": 40}, clock=lambda: now[0], sleep=sleep)
    for _ in range(40):
        limiter.spend("batches_per_minute")
    assert waits == []
    limiter.spend("batches_per_minute")
    assert waits == [pytest.approx(1.5)]  # 40 a minute: one more after 1.5 s
    limiter.spend("unknown_bucket")  # not a platform budget: never waits
    assert len(waits) == 1


def test_concurrency_must_be_positive():
    with pytest.raises(ValueError):
        LocalLimiter(concurrency=0)


def test_slots_are_released_when_the_call_fails():
    limiter = LocalLimiter(concurrency=1)
    with pytest.raises(RuntimeError):
        with limiter.slot():
            raise RuntimeError("boom")
    assert limiter._slots.acquire(blocking=False)  # the one slot is free again
