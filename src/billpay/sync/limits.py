"""Platform limits shared by every worker process: requests in flight and request budgets per company.

``SharedLimiter`` implements ``connectors.base.limits.PlatformLimiter`` over a store every process of the
deployment reaches: Redis when ``BILLPAY_REDIS_URL`` is set (``RedisLimits``: a sorted set of requests in
flight and a token bucket per budget, each changed by one atomic script using Redis's own clock), the
application database otherwise (``DatabaseLimits``: one locked row per bucket). Keys are
``<platform>:<company id>``, so every connection to one company, on every worker, draws from one budget.
The limits themselves come from the platform plugin (``Capabilities.concurrency`` and ``.limits``).

Budgets are named ``<what>_per_<window>``: ``requests_per_minute``, ``batches_per_minute``,
``requests_per_5_minutes``, ``requests_per_second``, ``requests_per_hour``. Platforms count a budget over
any window of that length (QuickBooks: 40 batches in *any* 60 s), so a plain bucket holding a whole
window's budget would let twice the budget through in one window (a full bucket spent, then refilled).
Each budget of ``L`` per window ``W`` is therefore a token bucket with a small burst ``b`` (``burst``)
refilled at ``(L - b) / W``: at most ``b + (L - b) = L`` requests in any window, and close to ``L`` per
window under load (QuickBooks: 39 batches a minute, 490 requests).

**Back-off never holds a worker.** A short wait for a slot or a token (pacing inside the limit) is slept;
a longer one raises ``platform_rate_limited`` with ``retry_after`` at once, before anything is sent, so
the sync engine puts the work back for when the budget allows and the worker releases the connection's
lease and serves other organizations meanwhile.
"""
from __future__ import annotations

import contextlib
import threading
import time
import uuid
from typing import Any, Callable, Iterator, Mapping, Protocol

import redis
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..connectors.base.limits import window_seconds
from ..connectors.registry import PlatformPlugin
from ..db import tables as t
from .ports import ConnectorError

#: Waits up to this long are slept (pacing); longer ones hand the work back (``retry_after``).
MAX_WAIT = 2.0
#: A slot whose holder died is given back after this long (longer than any request's timeout).
SLOT_TTL = 120.0
POLL = 0.05
#: The code of a wait handed back: the same as a platform's 429, so the dashboard says the same thing.
PACED = "platform_rate_limited"


class LimitStore(Protocol):
    def enter(self, key: str, holder: str, limit: int, ttl: float) -> bool:
        """Take one of ``limit`` slots of ``key`` for ``holder`` (given back after ``ttl`` s); False when full."""

    def leave(self, key: str, holder: str) -> None: ...

    def take(self, key: str, bucket: str, amount: float, capacity: float, rate: float) -> float:
        """Take ``amount`` tokens from a bucket holding at most ``capacity``, refilled at ``rate`` per second:
        0, or the seconds to wait until it holds them."""


def burst(limit: float) -> float:
    """The burst allowed out of a budget of ``limit`` per window (see module docstring)."""
    return float(max(1, min(10, int(limit) // 50)))


class SharedLimiter:
    """The limits of one platform company, shared through ``store`` (see module docstring)."""

    def __init__(self, store: LimitStore, key: str, *, concurrency: int = 1, budgets: Mapping[str, float] | None = None,
                 platform: str = "", max_wait: float = MAX_WAIT, slot_ttl: float = SLOT_TTL,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.store, self.key, self.platform = store, key, platform
        self.concurrency = concurrency
        self.budgets = {k: float(v) for k, v in (budgets or {}).items() if window_seconds(k) and float(v) > 0}
        self.max_wait, self.slot_ttl, self._sleep = max_wait, slot_ttl, sleep
        self.waited = 0.0  # seconds this limiter slept pacing requests

    def _throttled(self, retry_after: float) -> ConnectorError:
        # Raised before anything is sent: the outcome is known (nothing happened), so it is always safe to retry.
        return ConnectorError(PACED, f"billpay is pacing its requests to stay inside {self.platform or 'the platform'}"
                              "'s limits; the sync continues by itself shortly.", kind="transient",
                              retry_after=round(retry_after, 3), raw={"limit": self.key})

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        holder = uuid.uuid4().hex
        waited = 0.0
        while not self.store.enter(self.key, holder, self.concurrency, self.slot_ttl):
            if waited >= self.max_wait:
                raise self._throttled(1.0)
            self._sleep(POLL)
            waited += POLL
        self.waited += waited
        try:
            yield
        finally:
            self.store.leave(self.key, holder)

    def spend(self, bucket: str, amount: float = 1.0) -> None:
        size = self.budgets.get(bucket)
        if size is None:
            return
        window = window_seconds(bucket) or 60.0
        capacity = min(burst(size), size)
        rate = max(size - capacity, 1.0) / window
        waited = 0.0
        while True:
            wait = self.store.take(self.key, bucket, amount, capacity, rate)
            if wait <= 0:
                self.waited += waited
                return
            if waited + wait > self.max_wait:
                raise self._throttled(wait)
            wait = max(wait, 0.001)
            self._sleep(wait)
            waited += wait


def limiter_for(store: LimitStore, plugin: PlatformPlugin, company_id: str, **kwargs: Any) -> SharedLimiter:
    """The shared limiter of one company, built from its platform plugin's capabilities."""
    caps = plugin.capabilities
    return SharedLimiter(store, f"{plugin.name}:{company_id}", concurrency=max(1, caps.concurrency),
                         budgets=caps.limits, platform=plugin.display_name, **kwargs)


# --- Redis ------------------------------------------------------------------------------------------

_ENTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) * 1000))
  return 1
end
return 0
"""

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local amount, capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'level', 'stamp')
local level, stamp = tonumber(v[1]), tonumber(v[2])
if level == nil then level, stamp = capacity, now end
level = math.min(capacity, level + math.max(0, now - stamp) * rate)
local wait = 0
if level + 1e-9 >= amount then level = math.max(0, level - amount) else wait = (amount - level) / rate end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity / rate + 60) * 1000))
return tostring(wait)
"""


class RedisLimits:
    """Limits kept in Redis (scale-out): every worker on every machine sees the same slots and budgets."""

    def __init__(self, client: Any, prefix: str = "billpay:limits:") -> None:
        self.client, self.prefix = client, prefix
        self._enter = client.register_script(_ENTER)
        self._take = client.register_script(_TAKE)

    @classmethod
    def from_url(cls, url: str) -> RedisLimits:
        return cls(redis.Redis.from_url(url))

    def enter(self, key: str, holder: str, limit: int, ttl: float) -> bool:
        return bool(self._enter(keys=[f"{self.prefix}{key}:slots"], args=[holder, limit, ttl]))

    def leave(self, key: str, holder: str) -> None:
        self.client.zrem(f"{self.prefix}{key}:slots", holder)

    def take(self, key: str, bucket: str, amount: float, capacity: float, rate: float) -> float:
        return float(self._take(keys=[f"{self.prefix}{key}:{bucket}"], args=[amount, capacity, rate]))

    def close(self) -> None:
        self.client.close()


# --- the database (embedded) --------------------------------------------------------------------------

class DatabaseLimits:
    """Limits kept in the application database (``platform_limits``): every process of an installation
    without Redis shares them. Each change is a short transaction on the bucket's locked row."""

    def __init__(self, sessionmaker: Any, clock: Callable[[], float] = time.time) -> None:
        self.sessionmaker, self.clock = sessionmaker, clock
        self._local = threading.Lock()  # one process's threads queue here rather than on the database

    def _row(self, s: Any, key: str, name: str, level: float) -> t.PlatformLimit:
        stmt = select(t.PlatformLimit).where(t.PlatformLimit.key == key, t.PlatformLimit.name == name)
        locked = stmt.with_for_update() if s.bind.dialect.name == "postgresql" else stmt
        row = s.scalars(locked).first()
        if row is None:
            insert = pg_insert if s.bind.dialect.name == "postgresql" else sqlite_insert
            s.execute(insert(t.PlatformLimit).values(key=key, name=name, level=level, stamp=self.clock(), holders={})
                      .on_conflict_do_nothing(index_elements=["key", "name"]))
            row = s.scalars(locked).one()
        return row

    def enter(self, key: str, holder: str, limit: int, ttl: float) -> bool:
        with self._local, self.sessionmaker() as s, s.begin():
            row = self._row(s, key, "slots", 0.0)
            now = self.clock()
            holders = {h: exp for h, exp in (row.holders or {}).items() if exp > now}
            if len(holders) >= limit:
                if holders != row.holders:
                    row.holders = holders
                return False
            row.holders = {**holders, holder: now + ttl}
            return True

    def leave(self, key: str, holder: str) -> None:
        with self._local, self.sessionmaker() as s, s.begin():
            row = self._row(s, key, "slots", 0.0)
            row.holders = {h: exp for h, exp in (row.holders or {}).items() if h != holder}

    def take(self, key: str, bucket: str, amount: float, capacity: float, rate: float) -> float:
        with self._local, self.sessionmaker() as s, s.begin():
            row = self._row(s, key, bucket, capacity)
            now = self.clock()
            level = min(capacity, row.level + max(0.0, now - row.stamp) * rate)
            wait = 0.0
            if level + 1e-9 >= amount:  # a float's last digit must not keep a refilled token out of reach
                level = max(0.0, level - amount)
            else:
                wait = (amount - level) / rate
            row.level, row.stamp = level, now
            return wait


def open_store(container: Any) -> LimitStore:
    """Redis when the deployment has it, else the database."""
    if container.settings.redis_url:
        return RedisLimits.from_url(container.settings.redis_url)
    return DatabaseLimits(container.sessionmaker)
