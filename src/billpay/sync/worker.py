"""The worker loop: claim outbox rows, run them, retry with backoff, never lose one.

Claiming is a short transaction that marks rows ``running`` with a lease
(``locked_until``); PostgreSQL uses ``FOR UPDATE SKIP LOCKED`` so concurrent
workers never take the same row. A worker killed mid-job leaves a lease that
expires, and the row is claimed again; handlers are idempotent (platform writes
carry idempotency keys), so a re-run never duplicates anything.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
from typing import Callable

from sqlalchemy import and_, or_, select, update

from ..db import tables as t
from ..services.context import Actor

log = logging.getLogger("billpay.worker")
LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 8
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"

Handler = Callable[[object, t.Outbox], None]
HANDLERS: dict[str, Handler] = {}
# kind -> fn(container, org_id, record_ids) -> record ids to retry; many jobs, one platform call batch
BATCH_HANDLERS: dict[str, Callable] = {}


def handler(kind: str):  # noqa: ANN201
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return register


def batch_handler(kind: str):  # noqa: ANN201
    def register(fn: Callable) -> Callable:
        BATCH_HANDLERS[kind] = fn
        return fn
    return register


class Retry(Exception):
    """Raised by a handler to run the job again later (``delay`` seconds)."""

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


def claim(container, limit: int = 10, worker_id: str = WORKER_ID, kinds: list[str] | None = None) -> list[t.Outbox]:  # noqa: ANN001
    now = container.now()
    with container.sessionmaker() as s, s.begin():
        stmt = select(t.Outbox).where(or_(
            and_(t.Outbox.status == "pending", t.Outbox.available_at <= now),
            and_(t.Outbox.status == "running", t.Outbox.locked_until < now)))
        if kinds:
            stmt = stmt.where(t.Outbox.kind.in_(kinds))
        stmt = stmt.order_by(t.Outbox.available_at, t.Outbox.id).limit(limit)
        if s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(s.scalars(stmt))
        for r in rows:
            r.status, r.locked_by, r.locked_until = "running", worker_id, now + LEASE
            r.attempts += 1
        s.flush()
        s.expunge_all()
    return rows


def _finish(container, job: t.Outbox, worker_id: str, *, error: str | None = None,  # noqa: ANN001
            retry_in: float | None = None) -> None:
    now = container.now()
    with container.sessionmaker() as s, s.begin():
        values: dict = {"locked_by": None, "locked_until": None}
        if error is None:
            values.update(status="done", done_at=now, last_error=None)
        elif retry_in is not None and job.attempts < MAX_ATTEMPTS:
            values.update(status="pending", last_error=error[:2000],
                          available_at=now + dt.timedelta(seconds=retry_in))
        else:
            values.update(status="failed", last_error=error[:2000], done_at=now)
        # Only the lease holder may finish the row (a stale worker that lost its lease must not).
        s.execute(update(t.Outbox).where(t.Outbox.id == job.id, t.Outbox.locked_by == worker_id).values(**values))


def backoff(attempt: int, base: float = 5.0, cap: float = 3600.0) -> float:
    return min(cap, base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def run_job(container, job: t.Outbox, worker_id: str = WORKER_ID) -> None:  # noqa: ANN001
    if job.kind in BATCH_HANDLERS:
        run_batch(container, job.kind, job.org_id, [job], worker_id)
        return
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


def run_batch(container, kind: str, org_id: str, jobs: list[t.Outbox], worker_id: str = WORKER_ID) -> None:  # noqa: ANN001
    """Run jobs of one batchable kind for one organization with one handler call."""
    fn = BATCH_HANDLERS[kind]
    try:
        retry_ids = set(fn(container, org_id, [j.record_id for j in jobs]))
    except Retry as e:
        for j in jobs:
            _finish(container, j, worker_id, error=str(e), retry_in=e.delay or backoff(j.attempts))
        return
    except Exception as e:  # noqa: BLE001
        log.exception("batch of %d %s jobs failed", len(jobs), kind)
        for j in jobs:
            _finish(container, j, worker_id, error=f"{type(e).__name__}: {e}", retry_in=backoff(j.attempts))
        return
    for j in jobs:
        if j.record_id in retry_ids:
            _finish(container, j, worker_id, error="platform asked to retry", retry_in=backoff(j.attempts))
        else:
            _finish(container, j, worker_id)


def run_until_idle(container, max_jobs: int = 100_000, worker_id: str = WORKER_ID,  # noqa: ANN001
                   kinds: list[str] | None = None, batch: int = 300) -> int:
    _load_handlers()
    done = 0
    while done < max_jobs:
        rows = claim(container, limit=batch, worker_id=worker_id, kinds=kinds)
        if not rows:
            break
        groups: dict[tuple[str, str], list[t.Outbox]] = {}
        for job in rows:
            if job.kind in BATCH_HANDLERS:
                groups.setdefault((job.kind, job.org_id), []).append(job)
            else:
                run_job(container, job, worker_id)
        for (kind, org_id), jobs in groups.items():
            run_batch(container, kind, org_id, jobs, worker_id)
        done += len(rows)
    return done


def tick(container) -> None:  # noqa: ANN001
    """Once a minute: daily pulls (with catch-up), payment release and sandbox-bank settlement."""
    _load_handlers()
    from . import schedule

    schedule.tick(container)


def _load_handlers() -> None:
    from . import handlers  # noqa: F401 - registers the job kinds


def system_actor(org_id: str) -> Actor:
    return Actor.system(org_id)
