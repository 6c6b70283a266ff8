"""The clock-driven work: what the periodic tick starts, and when.

**Daily pull, spread over the hour.** Each connection pulls bills (and refreshes reference data) once a day
at its own slot in the "about 12 AM New York" window: a stable offset inside 00:00-01:00
America/New_York taken from the connection's id, so ten thousand connections do not all start in the same
minute and one connection always starts at the same wall-clock time (``00:37:12`` in winter and in
summer; the window never meets a daylight-saving change, which New York makes at 2 AM). The next slot is
kept in ``connections.next_pull_at``; a slot missed while nothing ran is caught up once at the next tick
(not once per missed day), and the next slot is then the one after now.

**Payments.** Releases at the release hour, sandbox-bank settlements and approval deadlines come from
``payments.due_at`` (``services.payment_due``): the tick queues one ``payments_due`` job per organization
with something due, and a worker runs it (a fresh read of each bill from the platform first, so nothing
is paid twice).

**Cost grows with due work, not organizations.** A tick reads the two indexed "due" columns, writes the
jobs it starts in one transaction and nothing else; a quiet minute is two index probes. It runs in one
process at a time (``election``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import String, column, insert, select, update, values

from ..db import tables as t
from ..db.types import UTCDateTime
from ..ids import new_id
from ..services import payment_due, payments, pulled_bills, rails
from ..services.context import Actor
from . import election, release
from .connections import connection_row

log = logging.getLogger("billpay.schedule")
PULL_TZ = ZoneInfo("America/New_York")
UTC = dt.timezone.utc
#: The daily pulls spread over this window after local midnight.
PULL_WINDOW = dt.timedelta(hours=1)
#: At most this many connections or organizations are started per tick (the rest at the next one).
TICK_LIMIT = 2000


# --- the daily pull slot ---------------------------------------------------------------------------

def pull_offset(connection_id: str) -> dt.timedelta:
    """The connection's stable offset inside the window (whole seconds, 0 <= offset < 1 h)."""
    digest = hashlib.sha256(connection_id.encode()).digest()
    return dt.timedelta(seconds=int.from_bytes(digest[:8], "big") % int(PULL_WINDOW.total_seconds()))


def pull_slot(connection_id: str, day: dt.date) -> dt.datetime:
    """The connection's pull time on New York date ``day`` (aware UTC)."""
    wall = dt.datetime.combine(day, dt.time(0)) + pull_offset(connection_id)
    return wall.replace(tzinfo=PULL_TZ).astimezone(UTC)


def next_pull_at(connection_id: str, after: dt.datetime) -> dt.datetime:
    """The first slot of the connection strictly after ``after``."""
    day = after.astimezone(PULL_TZ).date()
    slot = pull_slot(connection_id, day)
    return slot if slot > after else pull_slot(connection_id, day + dt.timedelta(days=1))


def last_pull_slot(connection_id: str, now: dt.datetime) -> dt.datetime:
    """The latest slot of the connection at or before ``now``."""
    day = now.astimezone(PULL_TZ).date()
    slot = pull_slot(connection_id, day)
    return slot if slot <= now else pull_slot(connection_id, day - dt.timedelta(days=1))


def last_pull_due(now: dt.datetime) -> dt.datetime:
    """The start of the most recent pull window: 00:00 America/New_York at or before ``now`` (aware UTC)."""
    local = now.astimezone(PULL_TZ)
    return dt.datetime.combine(local.date(), dt.time(0), tzinfo=PULL_TZ).astimezone(UTC)


def pull_is_due(connection_id: str, last_run: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a connection last pulled at ``last_run`` is due at ``now`` (its slot came since)."""
    return last_run is None or last_run < last_pull_slot(connection_id, now)


# --- the tick --------------------------------------------------------------------------------------

@dataclass
class TickResult:
    ran: bool = False
    pulls: list[str] = field(default_factory=list)          # organizations whose daily pull was queued
    payments: list[str] = field(default_factory=list)       # organizations whose payments_due job was queued
    scheduled: int = 0                                      # connections given their first slot


def _pending(s, kind: str, org_ids: list[str]) -> set[str]:  # noqa: ANN001
    if not org_ids:
        return set()
    return set(s.scalars(select(t.Outbox.org_id).where(t.Outbox.org_id.in_(org_ids), t.Outbox.kind == kind,
                                                       t.Outbox.status.in_(["pending", "running"]))))


def _job(org_id: str, kind: str, now: dt.datetime, payload: dict | None = None) -> dict:
    return {"id": new_id("job"), "org_id": org_id, "kind": kind, "record_id": None, "payload": payload or {},
            "status": "pending", "attempts": 0, "available_at": now, "created_at": now}


def _chunks(rows: list, size: int = 500) -> list[list]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def due_work(container, now: dt.datetime, limit: int = TICK_LIMIT) -> TickResult:  # noqa: ANN001
    """Queue the daily pulls whose slot has come and the payment work that is due, in one transaction."""
    out = TickResult(ran=True)
    with container.sessionmaker() as s, s.begin():
        # Connections never scheduled (new, or from before slots existed): pull at once if their last pull is
        # older than their last slot, and give each its next slot.
        fresh = s.execute(select(t.Connection.id, t.Connection.org_id, t.SyncState.last_run_at).outerjoin(
            t.SyncState, (t.SyncState.connection_id == t.Connection.id)
            & (t.SyncState.stream == pulled_bills.STREAM)).where(
            t.Connection.status == "connected", t.Connection.next_pull_at.is_(None)).limit(limit)).all()
        due = s.execute(select(t.Connection.id, t.Connection.org_id).where(
            t.Connection.status == "connected", t.Connection.next_pull_at <= now)
            .order_by(t.Connection.next_pull_at).limit(limit)).all()
        start = [(cid, org) for cid, org, last in fresh if pull_is_due(cid, last, now)] + [tuple(r) for r in due]
        busy = _pending(s, "pull_bills", [org for _, org in start])
        jobs: list[dict] = []
        for _cid, org in start:
            if org in busy:
                continue
            busy.add(org)
            # One job: the pull refreshes reference data first (one outbox row per connection and day).
            jobs.append(_job(org, "pull_bills", now, {"reason": "daily", "refresh": True}))
            out.pulls.append(org)
        slots = [(cid, next_pull_at(cid, now)) for cid, *_ in fresh] + [(cid, next_pull_at(cid, now)) for cid, _ in due]
        for chunk in _chunks(slots):
            if s.bind.dialect.name == "postgresql":  # one statement per chunk, not one per connection
                v = values(column("id", String), column("slot", UTCDateTime), name="slots").data(chunk)
                s.execute(update(t.Connection).where(t.Connection.id == v.c.id).values(next_pull_at=v.c.slot)
                          .execution_options(synchronize_session=False))
            else:
                s.execute(update(t.Connection), [{"id": cid, "next_pull_at": slot} for cid, slot in chunk])
        out.scheduled = len(fresh)

        orgs = list(s.scalars(select(t.Payment.org_id).where(t.Payment.due_at <= now)
                              .group_by(t.Payment.org_id).limit(limit)))
        waiting = _pending(s, "payments_due", orgs)
        for org in orgs:
            if org not in waiting:
                jobs.append(_job(org, "payments_due", now))
                out.payments.append(org)
        for chunk in _chunks(jobs):
            s.execute(insert(t.Outbox).values(chunk))
    if out.pulls or out.payments:
        container.wake()
    return out


def tick(container) -> TickResult:  # noqa: ANN001
    """Once a minute, in one process of the deployment: start what is due (see module docstring)."""
    now = container.now()
    if not election.elect(container, "tick", now):
        return TickResult()
    return due_work(container, now)


# --- the payments_due job --------------------------------------------------------------------------

def run_payments_due(container, org_id: str) -> None:  # noqa: ANN001
    """Release the organization's due payments (bills read fresh first), let the sandbox bank settle, mark
    missed approval deadlines, then set when its payments are next due."""
    with container.sessionmaker() as s:
        connected = connection_row(s, org_id) is not None
    hold = release.check_due_payments(container, org_id) if connected else set()
    with container.tx(Actor.system(org_id)) as ctx:
        payments.release_due(ctx, hold=hold)
    with container.tx(Actor.system(org_id)) as ctx:
        rails.settle_due(ctx)
    with container.tx(Actor.system(org_id)) as ctx:
        payment_due.refresh(ctx.session, org_id, ctx.now())

