"""The connection lease: one worker at a time syncs a connection, fenced, kept alive by a heartbeat.

A worker takes the lease with a compare-and-set on the connection row (works on SQLite and PostgreSQL):
free, or expired. Every acquisition increments ``lease_token``: the holder's fencing token. Every write
of an outcome runs ``Lease.check`` in its own transaction — an ``UPDATE … WHERE lease_token = mine`` that
also renews the lease — so a holder that lost the lease (paused past its expiry, taken over) records
nothing and stops (``LeaseLost``). While the holder works, a heartbeat thread renews the lease every
``heartbeat`` seconds, so a live worker keeps it through long platform calls and a dead one (killed,
crashed) is replaced within ``ttl`` seconds.

The platform side is fenced by idempotency: a request whose outcome is unknown is replayed exactly as it
was sent (``sync_attempts``), so even a stale holder's request that lands late is answered, not executed
twice.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from ..db import tables as t
from ..services.sync_records import active_connection

log = logging.getLogger("billpay.sync.lease")
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


class ConnectionBusy(Exception):
    """Another worker holds the connection's lease: its work waits, using up no attempt."""


class NotConnected(LookupError):
    """The organization has no connected accounting platform."""


class LeaseLost(Exception):
    """This worker no longer holds the lease (it expired and another worker took it): write nothing."""


def owner_id() -> str:
    # Threads of one worker process are separate holders.
    return f"{WORKER_ID}:{threading.get_ident()}"


class Lease:
    """A held connection lease (see module docstring). Use as a context manager."""

    def __init__(self, container: Any, org_id: str, *, owner: str | None = None) -> None:
        self.container, self.org_id = container, org_id
        self.owner = owner or owner_id()
        settings = container.settings
        self.ttl = dt.timedelta(seconds=float(getattr(settings, "sync_lease_seconds", 15)))
        self.heartbeat = float(getattr(settings, "sync_heartbeat_seconds", 3))
        self.token = 0
        self.connection: t.Connection | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- acquire / release ----------------------------------------------------------------------
    def acquire(self) -> Lease:
        now = self.container.now()
        with self.container.sessionmaker() as s, s.begin():
            conn = active_connection(s, self.org_id)
            if conn is None:
                raise NotConnected("not_connected")
            token = (conn.lease_token or 0) + 1
            got = s.execute(update(t.Connection).where(
                t.Connection.id == conn.id, t.Connection.status == "connected",
                or_(t.Connection.lock_until.is_(None), t.Connection.lock_until < now,
                    t.Connection.lock_owner == self.owner),
                t.Connection.lease_token == conn.lease_token,
            ).values(lock_owner=self.owner, lock_until=now + self.ttl, lease_token=token, turn_at=now)).rowcount
            if got:
                s.flush()
                s.refresh(conn)
            s.expunge(conn)
        if not got:
            raise ConnectionBusy("another worker is syncing this connection")
        self.connection, self.token = conn, token
        if self.heartbeat > 0:
            self._thread = threading.Thread(target=self._beat, name=f"lease-{conn.id}", daemon=True)
            self._thread.start()
        return self

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.connection is None:
            return
        with self.container.sessionmaker() as s, s.begin():
            s.execute(update(t.Connection).where(t.Connection.id == self.connection.id,
                                                 t.Connection.lease_token == self.token,
                                                 t.Connection.lock_owner == self.owner)
                      .values(lock_owner=None, lock_until=None))

    def __enter__(self) -> Lease:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- fencing ---------------------------------------------------------------------------------
    @property
    def until(self) -> dt.datetime:
        return self.container.now() + self.ttl

    def renew(self, session: Session) -> bool:
        """Renew in ``session``'s transaction; False when the lease is no longer ours."""
        assert self.connection is not None
        until = self.until
        got = session.execute(update(t.Connection).where(
            t.Connection.id == self.connection.id, t.Connection.lease_token == self.token,
            t.Connection.lock_owner == self.owner, t.Connection.status == "connected",
        ).values(lock_until=until)).rowcount
        if got:
            # The jobs this holder runs live as long as its lease.
            session.execute(update(t.Outbox).where(t.Outbox.org_id == self.org_id, t.Outbox.status == "running",
                                                   t.Outbox.locked_by == self.owner).values(locked_until=until))
        return bool(got)

    def check(self, session: Session) -> None:
        """Fence a write: raise ``LeaseLost`` (the caller's transaction rolls back) unless we still hold it."""
        if self.lost or not self.renew(session):
            self.lost = True
            raise LeaseLost(f"lease {self.token} on connection {self.connection.id if self.connection else '?'} "
                            "was lost; nothing recorded")

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                with self.container.sessionmaker() as s, s.begin():
                    if not self.renew(s):
                        self.lost = True
                        return
            except Exception:  # noqa: BLE001 - a failed heartbeat only risks losing the lease, which is fenced
                log.warning("lease heartbeat failed for %s", self.org_id, exc_info=True)
