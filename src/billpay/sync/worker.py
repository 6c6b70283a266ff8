"""The worker loop: claim outbox rows, run them, retry when due, never lose one, never drop one silently.

Two kinds of work:

- **Connection work** (pushes, voids, payment syncs, pulls, reference refreshes) runs per organization
  under the connection's fenced lease (``sync.lease``). A worker first takes the lease, then claims *all*
  of the connection's due work at once and keeps claiming until none is left, so creates travel in full
  platform batches whatever the number of workers and threads. A worker that finds the lease taken
  leaves the work alone: waiting for a busy connection uses up no attempt.
- **Other jobs** (extraction, learning) are claimed in small groups with a lease of their own
  (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).

A job put back for later schedules a wake-up for the moment it is due (``schedule_wake``), so a retry in
2 s runs in 2 s, not at the next minute tick. A job whose retries run out becomes a visible sync error on
its record with the action to take (the ``give_up`` hook of its kind), never a silent ``pending``.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from typing import Callable

from sqlalchemy import and_, func, or_, select, update

from ..connectors import registry
from ..db import tables as t
from ..services.context import Actor
from . import connections, schedule
from .lease import WORKER_ID, ConnectionBusy, Lease, LeaseLost, NotConnected, owner_id
from .ports import ConnectorError

log = logging.getLogger("billpay.worker")
LEASE = dt.timedelta(minutes=5)  # other jobs (extraction can take a while on a busy machine)
MAX_ATTEMPTS = 8

Handler = Callable[[object, t.Outbox], None]
HANDLERS: dict[str, Handler] = {}
# kind -> fn(container, org_id, record_ids, lease) -> {record id: delay or None} to retry; run under the lease
CONNECTION_HANDLERS: dict[str, Callable] = {}
# kind -> fn(container, job, last_error): called when a job's retries run out
GIVE_UP: dict[str, Callable] = {}
# Connection work runs in this order within one claim (reference data first; pulls last).
# Vendors are created before the bills that need them; vendor credits are written before the payments that apply them.
ORDER = ("refresh_reference", "create_platform_vendor", "push_bill", "push_vendor_credit", "void_bill", "push_payment",
         "reverse_payment", "pull_bills")

#: Set by ``jobs.configure``: ask a worker to run at ``when`` (a retry that is due then).
schedule_wake: Callable[[dt.datetime], None] | None = None


def handler(kind: str):  # noqa: ANN201
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return register


def connection_handler(kind: str, *, give_up: Callable | None = None):  # noqa: ANN201
    def register(fn: Callable) -> Callable:
        CONNECTION_HANDLERS[kind] = fn
        if give_up is not None:
            GIVE_UP[kind] = give_up
        return fn
    return register


class Retry(Exception):
    """Raised by a handler to run the job again later (``delay`` seconds)."""

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


def backoff(attempt: int, base: float = 5.0, cap: float = 3600.0) -> float:
    return min(cap, base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def _due(now: dt.datetime):  # noqa: ANN202
    return or_(and_(t.Outbox.status == "pending", t.Outbox.available_at <= now),
               and_(t.Outbox.status == "running", t.Outbox.locked_until < now))


def claim(container, limit: int = 10, worker_id: str = WORKER_ID, kinds: list[str] | None = None,  # noqa: ANN001
          org_id: str | None = None, until: dt.datetime | None = None) -> list[t.Outbox]:
    """Mark due rows ``running`` for this worker (and count the attempt)."""
    now = container.now()
    with container.sessionmaker() as s, s.begin():
        stmt = select(t.Outbox).where(_due(now))
        if kinds is not None:
            stmt = stmt.where(t.Outbox.kind.in_(kinds))
        if org_id is not None:
            stmt = stmt.where(t.Outbox.org_id == org_id)
        stmt = stmt.order_by(t.Outbox.available_at, t.Outbox.id).limit(limit)
        if s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(s.scalars(stmt))
        for r in rows:
            r.status, r.locked_by, r.locked_until = "running", worker_id, until or now + LEASE
            r.attempts += 1
        s.flush()
        s.expunge_all()
    return rows


def _finish(container, job: t.Outbox, worker_id: str, *, error: str | None = None,  # noqa: ANN001
            retry_in: float | None = None) -> None:
    now = container.now()
    gave_up = False
    with container.sessionmaker() as s, s.begin():
        values: dict = {"locked_by": None, "locked_until": None}
        if error is None:
            values.update(status="done", done_at=now, last_error=None)
        elif retry_in is not None and job.attempts < MAX_ATTEMPTS:
            values.update(status="pending", last_error=error[:2000], available_at=now + dt.timedelta(seconds=retry_in))
        else:
            values.update(status="failed", last_error=error[:2000], done_at=now)
            gave_up = True
        # Only the holder may finish the row (a stale worker that lost it must not).
        done = s.execute(update(t.Outbox).where(t.Outbox.id == job.id, t.Outbox.locked_by == worker_id)
                         .values(**values)).rowcount
    if not done:
        return
    if gave_up and job.kind in GIVE_UP:
        try:
            GIVE_UP[job.kind](container, job, error or "")
        except Exception:  # noqa: BLE001 - the job is failed either way; the log says why the record was not
            log.exception("could not mark %s %s as a sync error", job.kind, job.record_id)
    if "available_at" in values and schedule_wake is not None:
        schedule_wake(values["available_at"])


def run_job(container, job: t.Outbox, worker_id: str = WORKER_ID) -> None:  # noqa: ANN001
    fn = HANDLERS.get(job.kind)
    if fn is None:
        _finish(container, job, worker_id, error=f"no handler for job kind {job.kind!r}")
        return
    try:
        fn(container, job)
    except Retry as e:
        _finish(container, job, worker_id, error=str(e), retry_in=e.delay or backoff(job.attempts))
    except Exception as e:  # noqa: BLE001 - a job must never take the worker down
        log.exception("job %s (%s) failed", job.id, job.kind)
        _finish(container, job, worker_id, error=f"{type(e).__name__}: {e}", retry_in=backoff(job.attempts))
    else:
        _finish(container, job, worker_id)


# --- connection work ----------------------------------------------------------------------------------

def _due_orgs(container, kinds: list[str]) -> list[str]:  # noqa: ANN001
    """Organizations with due work of ``kinds`` (cost grows with the due rows, not with organizations)."""
    now = container.now()
    with container.sessionmaker() as s:
        return list(s.scalars(select(t.Outbox.org_id).where(_due(now), t.Outbox.kind.in_(kinds))
                              .group_by(t.Outbox.org_id)))


def turn_order(container, limit: int = 50) -> list[str]:  # noqa: ANN001
    """Organizations with due connection work whose connection no worker holds, least recently served first
    (round robin over organizations: a busy one goes to the back after each turn). Organizations no longer
    connected come first: their work is failed at once."""
    orgs = _due_orgs(container, list(CONNECTION_HANDLERS))
    if not orgs:
        return []
    now = container.now()
    with container.sessionmaker() as s:
        conns = {c.org_id: c for c in s.execute(select(
            t.Connection.org_id, t.Connection.turn_at, t.Connection.lock_until).where(
            t.Connection.org_id.in_(orgs), t.Connection.status == "connected")).all()}
    gone = [o for o in orgs if o not in conns]
    free = [c for c in conns.values() if c.lock_until is None or c.lock_until < now]
    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    free.sort(key=lambda c: (c.turn_at or epoch, c.org_id))
    return (gone + [c.org_id for c in free])[:limit]


def _claim_size(lease: Lease) -> int:
    caps = registry.get(lease.connection.platform).capabilities
    # Whole platform batches, and enough single writes to keep the platform's concurrency busy.
    return max(4 * caps.batch_size, 4 * caps.concurrency, 20)


def drain_connection(container, org_id: str, *, owner: str | None = None,  # noqa: ANN001
                     max_rounds: int = 1000, turn_seconds: float | None = None) -> int:
    """Take the organization's connection lease and run its due connection work.

    Without ``turn_seconds``: until none is left. With it: one **turn** — rounds of a few full batches,
    until the turn's time is up — then the lease is released, so the worker serves other organizations
    and the rest of this one's work waits for its next turn (``run_until_idle``).

    Raises ``ConnectionBusy`` (nothing claimed, no attempt used) when another worker holds the lease.
    """
    ran = 0
    started = time.monotonic()
    try:
        lease = Lease(container, org_id, owner=owner).acquire()
    except NotConnected:
        _fail_unconnected(container, org_id)
        return 0
    try:
        size = _claim_size(lease) if turn_seconds is not None else 10_000
        for _ in range(max_rounds):
            rows = claim(container, limit=size, worker_id=lease.owner, kinds=list(CONNECTION_HANDLERS),
                         org_id=org_id, until=lease.until)
            if not rows:
                break
            ran += len(rows)
            by_kind: dict[str, list[t.Outbox]] = {}
            for job in rows:
                by_kind.setdefault(job.kind, []).append(job)
            for kind in sorted(by_kind, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER)):
                _run_connection_jobs(container, kind, org_id, by_kind[kind], lease)
                if lease.lost:
                    return ran  # another worker has the connection now; it finds these rows as theirs expire
            if turn_seconds is not None and time.monotonic() - started >= turn_seconds:
                break
    finally:
        lease.release()
        _flush_calls(container)
    return ran


def _flush_calls(container) -> None:  # noqa: ANN001
    try:
        connections.flush_calls(container)
    except Exception:  # noqa: BLE001 - call counts are figures to watch; losing a few never stops the work
        log.warning("could not record platform call counts", exc_info=True)


def _run_connection_jobs(container, kind: str, org_id: str, jobs: list[t.Outbox], lease: Lease) -> None:  # noqa: ANN001
    fn = CONNECTION_HANDLERS[kind]
    record_jobs: dict[str | None, list[t.Outbox]] = {}
    for j in jobs:
        record_jobs.setdefault(j.record_id, []).append(j)
    try:
        retry = fn(container, org_id, jobs, lease) or {}
    except LeaseLost:
        log.warning("lost the lease of %s while running %s; stopping", org_id, kind)
        return
    except Retry as e:
        for j in jobs:
            _finish(container, j, lease.owner, error=str(e), retry_in=e.delay or backoff(j.attempts))
        return
    except ConnectorError as e:
        if not e.retryable and e.kind != "transient":
            log.exception("%d %s job(s) failed", len(jobs), kind)
        for j in jobs:
            _finish(container, j, lease.owner, error=f"{e.code}: {e.message}",
                    retry_in=e.retry_after or backoff(j.attempts))
        return
    except Exception as e:  # noqa: BLE001
        log.exception("%d %s job(s) failed", len(jobs), kind)
        for j in jobs:
            _finish(container, j, lease.owner, error=f"{type(e).__name__}: {e}", retry_in=backoff(j.attempts))
        return
    for rid, js in record_jobs.items():
        for j in js:
            if rid in retry:
                delay = retry[rid]
                _finish(container, j, lease.owner, error="the platform asked to retry",
                        retry_in=float(delay) if delay else backoff(j.attempts))
            else:
                _finish(container, j, lease.owner)


def _fail_unconnected(container, org_id: str) -> None:  # noqa: ANN001
    """Connection work of an organization that is no longer connected: nothing to do any more."""
    now = container.now()
    with container.sessionmaker() as s, s.begin():
        s.execute(update(t.Outbox).where(t.Outbox.org_id == org_id, _due(now),
                                         t.Outbox.kind.in_(list(CONNECTION_HANDLERS)))
                  .values(status="failed", done_at=now, last_error="not connected", locked_by=None,
                          locked_until=None))


# --- other jobs: fair claims with a per-organization cap ----------------------------------------------

def claim_fair(container, limit: int, kinds: list[str], worker_id: str = WORKER_ID,  # noqa: ANN001
               per_org: int | None = None) -> list[t.Outbox]:
    """Claim up to ``limit`` due jobs, taking them round robin over organizations (each one's oldest first)
    and never more than ``per_org`` running at once for one organization over all workers."""
    cap = per_org if per_org is not None else int(getattr(container.settings, "org_job_concurrency", 2))
    now = container.now()
    with container.sessionmaker() as s:
        running: dict[str, int] = dict(s.execute(select(t.Outbox.org_id, func.count()).where(
            t.Outbox.status == "running", t.Outbox.locked_until >= now, t.Outbox.kind.in_(kinds))
            .group_by(t.Outbox.org_id)).all())
        rank = func.row_number().over(partition_by=t.Outbox.org_id,
                                      order_by=(t.Outbox.available_at, t.Outbox.id)).label("rank")
        due = select(t.Outbox.id, t.Outbox.org_id, rank).where(_due(now), t.Outbox.kind.in_(kinds)).subquery()
        candidates = s.execute(select(due.c.id, due.c.org_id, due.c.rank).where(due.c.rank <= cap)
                               .order_by(due.c.rank, due.c.id)).all()
    picked: list[str] = []
    for job_id, org, r in candidates:
        if r + running.get(org, 0) <= cap and len(picked) < limit:
            picked.append(job_id)
    if not picked:
        return []
    with container.sessionmaker() as s, s.begin():
        stmt = select(t.Outbox).where(t.Outbox.id.in_(picked), _due(now)).order_by(t.Outbox.available_at)
        if s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(s.scalars(stmt))
        for r in rows:
            r.status, r.locked_by, r.locked_until = "running", worker_id, now + LEASE
            r.attempts += 1
        s.flush()
        s.expunge_all()
    return rows


def run_until_idle(container, max_jobs: int = 100_000, worker_id: str | None = None,  # noqa: ANN001
                   kinds: list[str] | None = None, batch: int = 300) -> int:
    """Run due work until there is none (or only work of connections other workers hold).

    Connection work goes in turns (``drain_connection`` with ``sync_turn_seconds``), the least recently
    served organization first; other jobs are claimed a few at a time, fairly over organizations
    (``claim_fair``). A waiting organization therefore waits for at most one turn of each worker thread,
    however much work another one has queued.
    """
    done = 0
    conn_work = kinds is None or bool(set(kinds) & set(CONNECTION_HANDLERS))
    other = [k for k in (kinds if kinds is not None else HANDLERS) if k not in CONNECTION_HANDLERS]
    turn = float(getattr(container.settings, "sync_turn_seconds", 5.0))
    small = max(1, min(batch, int(getattr(container.settings, "org_job_concurrency", 2)) * 4))
    while done < max_jobs:
        progressed = 0
        if conn_work:
            for org_id in turn_order(container):
                try:
                    progressed += drain_connection(container, org_id, owner=_owner(worker_id), turn_seconds=turn)
                except ConnectionBusy:
                    continue  # taken between the look and the lease: the next one in line
                break
        if other:
            rows = claim_fair(container, limit=small, kinds=other, worker_id=worker_id or WORKER_ID)
            for job in rows:
                run_job(container, job, worker_id or WORKER_ID)
            progressed += len(rows)
        if not progressed:
            break
        done += progressed
    return done


def _owner(worker_id: str | None) -> str:
    return f"{worker_id}:{threading.get_ident()}" if worker_id else owner_id()


def tick(container) -> schedule.TickResult:  # noqa: ANN001
    """Once a minute: in the elected process, start the daily pulls whose slot came (with catch-up) and the
    payment work that is due (``sync.schedule``), then run that payment work here too (other workers, woken,
    share it); every process flushes its platform call counts and closes idle HTTP clients."""
    result = schedule.tick(container)
    if result.payments:
        run_until_idle(container, kinds=["payments_due"])
    _flush_calls(container)
    connections.resources(container).sweep()
    return result


def system_actor(org_id: str) -> Actor:
    return Actor.system(org_id)
