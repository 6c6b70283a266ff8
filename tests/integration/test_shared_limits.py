"""Platform limits shared by every worker: requests in flight and budgets per company, kept in Redis or in the
database, seen the same by separate store instances (as separate processes would); a wait longer than a pacing
pause is handed back as ``retry_after``, never slept."""
from __future__ import annotations

import threading
import time

import pytest
import redis as redis_lib

from billpay.connectors import registry
from billpay.connectors.base.limits import LocalLimiter, window_seconds
from billpay.sync.limits import DatabaseLimits, RedisLimits, SharedLimiter, limiter_for
from billpay.sync.ports import ConnectorError


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def stores(request, container):
    """Two stores over the same shared state (two worker processes), and a way to let time pass."""
    if request.param == "database":
        clock = FakeClock()
        a, b = DatabaseLimits(container.sessionmaker, clock), DatabaseLimits(container.sessionmaker, clock)

        def advance(seconds: float) -> None:
            clock.t += seconds
        yield a, b, advance
        return
    url = request.getfixturevalue("redis_url")
    redis_lib.Redis.from_url(url).flushdb()
    a, b = RedisLimits.from_url(url), RedisLimits.from_url(url)
    yield a, b, time.sleep  # Redis keeps its own clock: real (short) time passes
    a.close()
    b.close()


def test_budget_names_give_their_window():
    assert window_seconds("requests_per_minute") == 60
    assert window_seconds("batches_per_minute") == 60
    assert window_seconds("requests_per_5_minutes") == 300
    assert window_seconds("requests_per_second") == 1
    assert window_seconds("requests_per_hour") == 3600
    assert window_seconds("concurrency") is None


def test_in_flight_requests_never_exceed_the_limit_over_two_processes(stores):
    a, b, _ = stores
    limiters = [SharedLimiter(a, "netsuite:123", concurrency=3, max_wait=30),
                SharedLimiter(b, "netsuite:123", concurrency=3, max_wait=30)]
    lock, now, peak = threading.Lock(), [0], [0]

    def call(limiter: SharedLimiter) -> None:
        with limiter.slot():
            with lock:
                now[0] += 1
                peak[0] = max(peak[0], now[0])
            time.sleep(0.05)
            with lock:
                now[0] -= 1

    threads = [threading.Thread(target=call, args=(limiters[i % 2],)) for i in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert peak[0] == 3 and now[0] == 0
    # another company has its own slots
    other = SharedLimiter(a, "netsuite:999", concurrency=1, max_wait=0)
    impatient = SharedLimiter(b, "netsuite:123", concurrency=3, max_wait=0)
    with limiters[0].slot(), limiters[1].slot(), limiters[0].slot(), other.slot():
        with pytest.raises(ConnectorError) as e:
            with impatient.slot():
                pass
    assert e.value.code == "platform_rate_limited" and e.value.kind == "transient" and not e.value.outcome_unknown


def test_a_per_minute_budget_is_shared_and_a_long_wait_is_handed_back(stores):
    a, b, advance = stores
    one = SharedLimiter(a, "quickbooks:9341", budgets={"batches_per_minute": 40}, max_wait=0)
    two = SharedLimiter(b, "quickbooks:9341", budgets={"batches_per_minute": 40}, max_wait=0)
    one.spend("batches_per_minute")
    with pytest.raises(ConnectorError) as e:
        two.spend("batches_per_minute")  # the other process draws from the same bucket
    assert e.value.code == "platform_rate_limited"
    assert 1.4 < e.value.retry_after <= 60 / 39  # 39 a minute once the burst of one is spent
    one.spend("requests_per_minute")  # not a budget of this company: never waits
    advance(1.6)
    two.spend("batches_per_minute")  # refilled


def test_no_window_of_a_minute_ever_holds_more_than_the_budget(container):
    """QuickBooks counts 40 batches in any 60 s: spending as fast as allowed for five minutes never puts a 41st
    into any window (a bucket holding a whole minute's budget would put up to 80 into one)."""
    clock = FakeClock()

    def sleep(s: float) -> None:
        clock.t += s

    limiter = SharedLimiter(DatabaseLimits(container.sessionmaker, clock), "quickbooks:1",
                            budgets={"batches_per_minute": 40}, max_wait=60, sleep=sleep)
    start, stamps = clock.t, []
    while clock.t - start < 300:
        limiter.spend("batches_per_minute")
        stamps.append(clock.t)
    worst = max(sum(1 for x in stamps if s <= x < s + 60) for s in stamps)
    assert 39 <= worst <= 40
    assert len(stamps) >= 5 * 39  # and the budget is used: 39 a minute after the first


def test_a_short_wait_is_slept_inside_the_limit(container):
    clock, slept = FakeClock(), []

    def sleep(s: float) -> None:
        slept.append(s)
        clock.t += s

    limiter = SharedLimiter(DatabaseLimits(container.sessionmaker, clock), "quickbooks:1",
                            budgets={"requests_per_minute": 600}, max_wait=2.0, sleep=sleep)
    for _ in range(10):  # a burst of 10 (of 600 a minute)
        limiter.spend("requests_per_minute")
    assert slept == []
    limiter.spend("requests_per_minute")
    assert slept == [pytest.approx(60 / 590)] and limiter.waited == pytest.approx(60 / 590)


def test_a_dead_holders_slot_comes_back_after_its_ttl(container):
    clock = FakeClock()
    store = DatabaseLimits(container.sessionmaker, clock)
    assert store.enter("netsuite:1", "dead", 1, ttl=120)
    assert not store.enter("netsuite:1", "alive", 1, ttl=120)
    clock.t += 121
    assert store.enter("netsuite:1", "alive", 1, ttl=120)


def test_limiters_are_built_from_the_plugins_capabilities(container):
    store = DatabaseLimits(container.sessionmaker)
    qbo = limiter_for(store, registry.get("quickbooks"), "9341")
    assert qbo.key == "quickbooks:9341" and qbo.concurrency == 10
    assert qbo.budgets == {"requests_per_minute": 500, "batches_per_minute": 40}
    ns = limiter_for(store, registry.get("netsuite"), "123456_SB1")
    assert ns.key == "netsuite:123456_SB1" and ns.concurrency == 5 and ns.budgets == {}


def test_the_local_limiter_reads_the_same_budget_names():
    now, waits = [0.0], []
    limiter = LocalLimiter(budgets={"requests_per_5_minutes": 6000}, clock=lambda: now[0], sleep=waits.append)
    for _ in range(6000):
        limiter.spend("requests_per_5_minutes")
    now_before = len(waits)

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    limiter._sleep = sleep
    limiter.spend("requests_per_5_minutes")
    assert now_before == 0 and waits == [pytest.approx(0.05)]  # 6,000 per 300 s: one every 50 ms
