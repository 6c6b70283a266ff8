"""From a stored connection to a working connector: decrypted credentials, persisted token rotation, and
the resources a process keeps per connection (``Resources``):

- one pooled ``httpx`` client per connection, reused by every claim and closed after it sat idle (or
  when the process stops), so sockets and TLS sessions are not made again for each batch and memory
  stays flat however many organizations a worker serves;
- the platform limiter of the connection's company, shared by every worker (``sync.limits``);
- requests sent and 429s seen per connection, counted in memory and added to ``platform_calls`` after
  each turn (``flush_calls``);
- facts a connector read once from the company (home currency, bank account).

Connectors built here never sleep through a long back-off: their ``RetryPolicy`` gets ``max_wait``, so a
wait longer than a pacing pause is handed back to the worker as ``retry_after``.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

import httpx
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..connectors import ConnectionSettings, build_connector, registry
from ..connectors.base.auth import OAuthTokens
from ..connectors.base.retry import RetryPolicy
from ..db import tables as t
from ..services.sync_records import active_connection
from . import builtin_sandbox, limits
from .ports import AccountingConnector

#: A pooled client unused this long is closed.
IDLE_SECONDS = 300.0
#: At most this many clients stay open per process (least recently used closed first).
MAX_CLIENTS = 256


class DbTokenStore:
    """OAuth tokens kept encrypted in the connection row; each save is its own committed transaction."""

    def __init__(self, container, connection_id: str) -> None:  # noqa: ANN001
        self.container, self.connection_id = container, connection_id

    def _secrets(self, s) -> tuple[t.Connection, dict]:  # noqa: ANN001
        conn = s.get(t.Connection, self.connection_id)
        return conn, self.container.vault.decrypt_json(conn.secrets_enc)

    def load(self) -> OAuthTokens | None:
        with self.container.sessionmaker() as s:
            _, sec = self._secrets(s)
        tok = sec.get("tokens")
        if not tok:
            # Connected with a refresh token only (the connection body): the first call refreshes it.
            return OAuthTokens(access_token="", refresh_token=sec["refresh_token"]) if sec.get("refresh_token") \
                else None
        return OAuthTokens(access_token=tok.get("access_token") or "", refresh_token=tok["refresh_token"],
                           expires_at=dt.datetime.fromisoformat(tok["expires_at"]) if tok.get("expires_at") else None,
                           refresh_expires_at=dt.datetime.fromisoformat(tok["refresh_expires_at"])
                           if tok.get("refresh_expires_at") else None)

    def save(self, tokens: OAuthTokens) -> None:
        with self.container.sessionmaker() as s, s.begin():
            conn, sec = self._secrets(s)
            sec["tokens"] = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
                             "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
                             "refresh_expires_at": tokens.refresh_expires_at.isoformat()
                             if tokens.refresh_expires_at else None}
            conn.secrets_enc = self.container.vault.encrypt(sec)


@dataclass
class Calls:
    """Requests one connection sent since the last flush, and how many the platform refused with 429."""

    org_id: str
    platform: str
    requests: int = 0
    throttled: int = 0
    last_throttled_at: dt.datetime | None = None


@dataclass
class _Pooled:
    client: httpx.Client
    key: tuple
    used: float
    discovered: dict


class Resources:
    """Per process: pooled HTTP clients, shared limiters and call counts (see module docstring)."""

    def __init__(self, container: Any, *, idle_seconds: float = IDLE_SECONDS, max_clients: int = MAX_CLIENTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.container = container
        self.idle_seconds, self.max_clients, self.clock = idle_seconds, max_clients, clock
        self._lock = threading.Lock()
        self._pool: OrderedDict[str, _Pooled] = OrderedDict()
        self._calls: dict[str, Calls] = {}
        self._store: limits.LimitStore | None = None
        self.opened = 0  # clients made by this process (a pool reuses them: this stays near the connections served)
        self.closed = 0

    # -- HTTP clients ------------------------------------------------------------------------------
    def _new_client(self, conn: t.Connection) -> httpx.Client:
        hooks = {"response": [self._counter(conn.id, conn.org_id, conn.platform)]}
        self.opened += 1
        if conn.sandbox:
            return httpx.Client(transport=builtin_sandbox.get(self.container, conn.platform).transport, timeout=30.0,
                                event_hooks=hooks)
        return httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0), headers={"User-Agent": "billpay/0.1"},
                            limits=httpx.Limits(max_connections=20, max_keepalive_connections=5,
                                                keepalive_expiry=30.0), event_hooks=hooks)

    def _entry(self, conn: t.Connection) -> _Pooled:
        key = (conn.platform, bool(conn.sandbox), repr(sorted((conn.config or {}).items())))
        now = self.clock()
        stale: list[httpx.Client] = []
        with self._lock:
            entry = self._pool.get(conn.id)
            if entry is not None and entry.key != key:  # reconnected with other settings: start afresh
                stale.append(self._pool.pop(conn.id).client)
                entry = None
            if entry is None:
                entry = _Pooled(self._new_client(conn), key, now, {})
                self._pool[conn.id] = entry
            entry.used = now
            self._pool.move_to_end(conn.id)
            stale += self._evict(now)
        self._close(stale)
        return entry

    def _evict(self, now: float) -> list[httpx.Client]:
        out = []
        while self._pool:
            cid, oldest = next(iter(self._pool.items()))
            if len(self._pool) <= self.max_clients and now - oldest.used < self.idle_seconds:
                break
            out.append(self._pool.pop(cid).client)
        return out

    def _close(self, clients: list[httpx.Client]) -> None:
        for c in clients:
            c.close()
            self.closed += 1

    def client(self, conn: t.Connection) -> httpx.Client:
        return self._entry(conn).client

    def discovered(self, conn: t.Connection) -> dict:
        return self._entry(conn).discovered

    def sweep(self) -> int:
        """Close clients idle longer than ``idle_seconds``; returns how many."""
        with self._lock:
            stale = self._evict(self.clock())
        self._close(stale)
        return len(stale)

    @property
    def open_clients(self) -> int:
        return len(self._pool)

    # -- limits -----------------------------------------------------------------------------------
    @property
    def store(self) -> limits.LimitStore:
        with self._lock:
            if self._store is None:
                self._store = limits.open_store(self.container)
            return self._store

    def use_store(self, store: limits.LimitStore) -> None:
        self._store = store

    def limiter(self, conn: t.Connection, company_id: str) -> limits.SharedLimiter:
        return limits.limiter_for(self.store, registry.get(conn.platform), company_id or conn.id,
                                  max_wait=float(getattr(self.container.settings, "sync_max_wait_seconds", 2.0)))

    # -- call counts ------------------------------------------------------------------------------
    def _counter(self, conn_id: str, org_id: str, platform: str) -> Callable[[httpx.Response], None]:
        def count(response: httpx.Response) -> None:
            with self._lock:
                c = self._calls.setdefault(conn_id, Calls(org_id, platform))
                c.requests += 1
                if response.status_code == 429:
                    c.throttled += 1
                    c.last_throttled_at = self.container.now()
        return count

    def take_calls(self) -> dict[str, Calls]:
        with self._lock:
            calls, self._calls = self._calls, {}
        return calls

    def close(self) -> None:
        with self._lock:
            clients = [e.client for e in self._pool.values()]
            self._pool.clear()
            store, self._store = self._store, None
        self._close(clients)
        if store is not None and hasattr(store, "close"):
            store.close()


def resources(container: Any) -> Resources:
    """The process's connection resources of ``container`` (made on first use, closed by ``Container.close``)."""
    res = getattr(container, "connection_resources", None)
    if res is None:
        res = Resources(container)
        container.connection_resources = res
    return res


def flush_calls(container: Any) -> int:
    """Add the counted requests and 429s to ``platform_calls``; returns the connections written."""
    calls = resources(container).take_calls()
    if not calls:
        return 0
    with container.sessionmaker() as s, s.begin():
        insert = pg_insert if s.bind.dialect.name == "postgresql" else sqlite_insert
        for conn_id, c in sorted(calls.items()):
            got = s.execute(update(t.PlatformCalls).where(t.PlatformCalls.connection_id == conn_id).values(
                requests=t.PlatformCalls.requests + c.requests, throttled=t.PlatformCalls.throttled + c.throttled,
                **({"last_throttled_at": c.last_throttled_at} if c.last_throttled_at else {}))).rowcount
            if not got:
                s.execute(insert(t.PlatformCalls).values(
                    connection_id=conn_id, org_id=c.org_id, platform=c.platform, requests=c.requests,
                    throttled=c.throttled, last_throttled_at=c.last_throttled_at).on_conflict_do_update(
                    index_elements=["connection_id"],
                    set_={"requests": t.PlatformCalls.requests + c.requests,
                          "throttled": t.PlatformCalls.throttled + c.throttled}))
    return len(calls)


def http_client(container, conn: t.Connection) -> httpx.Client:  # noqa: ANN001
    """The connection's pooled client (do not close it: the pool does)."""
    return resources(container).client(conn)


def settings_of(container, conn: t.Connection) -> ConnectionSettings:  # noqa: ANN001
    """The stored connection with its secrets decrypted (never logged: secrets are hidden from repr)."""
    sec = container.vault.decrypt_json(conn.secrets_enc) if conn.secrets_enc else {}
    cfg = dict(conn.config or {})
    options = cfg.pop("options", None) or {}
    return ConnectionSettings(platform=conn.platform, company_id=str(cfg.get("company_id") or ""), config=cfg,
                              secrets={k: v for k, v in sec.items() if k != "tokens"}, options=options)


def connector_for(container, conn: t.Connection, **overrides) -> AccountingConnector:  # noqa: ANN001
    """Build the platform connector for a stored connection (tests may override per platform).

    Every factory receives ``discovered`` (a dict kept per connection and configuration in which the
    connector may cache facts it read once from the company), ``limiter`` (the company's limits shared by
    every worker) and the connection's pooled HTTP client."""
    factory = container.connector_overrides.get(conn.platform)
    if factory is not None:
        return factory(conn, container)
    res = resources(container)
    settings = settings_of(container, conn)
    overrides = {**container.connector_options, **overrides}
    overrides.setdefault("discovered", res.discovered(conn))
    overrides.setdefault("limiter", res.limiter(conn, settings.company_id))
    connector = build_connector(settings, http=res.client(conn), tokens=DbTokenStore(container, conn.id), **overrides)
    policy = getattr(connector, "retry", None)
    if isinstance(policy, RetryPolicy) and policy.max_wait is None:
        policy.max_wait = float(getattr(container.settings, "sync_max_wait_seconds", 2.0))
    return connector


def connection_row(session, org_id: str) -> t.Connection | None:  # noqa: ANN001
    """The organization's connected connection."""
    return active_connection(session, org_id)
