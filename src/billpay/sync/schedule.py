"""The clock-driven work, checked once a minute by the periodic tick.

- Daily pull of bills and reference data at about 12 AM America/New_York
  (daylight saving included). The due time is the most recent local midnight;
  a pull whose last run is before it is due now, so a run missed while the
  server was down happens at the next tick after start (catch-up).
- Scheduled payments are released (4 AM in the organization's time zone) and
  the sandbox bank settles those whose settlement date has come.
"""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..db import tables as t
from ..services import payments, pulled_bills, rails, sync_records
from ..services.context import Actor, Ctx
from . import release

log = logging.getLogger("billpay.schedule")
PULL_TZ = ZoneInfo("America/New_York")


def last_pull_due(now: dt.datetime) -> dt.datetime:
    """The most recent 00:00 America/New_York at or before ``now`` (aware UTC)."""
    local = now.astimezone(PULL_TZ)
    midnight = dt.datetime.combine(local.date(), dt.time(0), tzinfo=PULL_TZ)
    return midnight.astimezone(dt.timezone.utc)


def pull_is_due(last_run: dt.datetime | None, now: dt.datetime) -> bool:
    return last_run is None or last_run < last_pull_due(now)


def enqueue_daily(ctx: Ctx) -> bool:
    conn = sync_records.active_connection(ctx.session, ctx.org_id)
    st = pulled_bills.last_pull_state(ctx, conn.id if conn is not None else None)
    if not pull_is_due(st.last_run_at if st else None, ctx.now()):
        return False
    pending = ctx.session.scalars(select(t.Outbox.id).where(
        t.Outbox.org_id == ctx.org_id, t.Outbox.kind == "pull_bills",
        t.Outbox.status.in_(["pending", "running"]))).first()
    if pending:
        return False
    ctx.enqueue("refresh_reference", None)
    ctx.enqueue("pull_bills", None, {"reason": "daily"})
    return True


def tick(container) -> None:  # noqa: ANN001
    with container.sessionmaker() as s:
        org_ids = list(s.scalars(select(t.Organization.id)))
        connected = set(s.scalars(select(t.Connection.org_id).where(t.Connection.status == "connected")))
    for org_id in org_ids:
        try:
            hold = release.check_due_payments(container, org_id) if org_id in connected else set()
            with container.tx(Actor.system(org_id)) as ctx:
                payments.release_due(ctx, hold=hold)
            with container.tx(Actor.system(org_id)) as ctx:
                rails.settle_due(ctx)
            if org_id in connected:
                with container.tx(Actor.system(org_id)) as ctx:
                    enqueue_daily(ctx)
        except Exception:  # one organization's trouble must not stop the others
            log.exception("scheduled work failed for %s", org_id)
