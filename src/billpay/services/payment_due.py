"""When the clock next has something to do with a payment: ``payments.due_at``, kept on every flush.

The periodic tick reads only payments whose ``due_at`` has come (an indexed column), never every
organization. ``due_at`` is derived from the payment and its organization's settings:

- ``scheduled``: released at the pay date's release hour in the organization's time zone (4 AM New York
  by default), the same instant ``payments.release_due`` checks;
- ``processing`` on the sandbox bank: its settlement date has begun in the organization's time zone;
- ``pending_approval`` with a deadline: the day after the deadline has begun (the payment is marked overdue);
- anything else: nothing due (NULL).

``install(sessionmaker)`` keeps it right without any use case having to remember: before every flush, a
new payment or one whose status, pay date, settlement date, approval snapshot or reason changed gets its
``due_at`` again, and a change of an organization's settings (time zone, release hour, rail) recomputes
its waiting payments. After the scheduled work of an organization ran, ``refresh`` recomputes the ones
that were due, so a payment that stays due (a bill that could not be read before release) is looked at
again at the next tick, and one that is done drops out.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from ..db import tables as t
from ..domain.payments import PaymentStatus
from ..payments import calendar
from .orgs import DEFAULT_SETTINGS

UTC = dt.timezone.utc
WAITING = (PaymentStatus.SCHEDULED, PaymentStatus.PROCESSING, PaymentStatus.PENDING_APPROVAL)
_WATCHED = ("status", "pay_date", "expected_settlement", "approval_snapshot", "status_reason")
_CLOCK_SETTINGS = ("timezone", "payment_release_hour", "payment_rail")


def _local_midnight(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def due_at(p: t.Payment, settings: Mapping[str, Any]) -> dt.datetime | None:
    """The instant the scheduler next has to look at ``p`` (aware UTC), or None."""
    s = {**DEFAULT_SETTINGS, **settings}
    tz = s.get("timezone") or "America/New_York"
    if p.status == PaymentStatus.SCHEDULED and p.pay_date is not None:
        return calendar.release_at(p.pay_date, tz, int(s["payment_release_hour"])).astimezone(UTC)
    if p.status == PaymentStatus.PROCESSING and p.expected_settlement is not None \
            and (s.get("payment_rail") or "sandbox_bank") == "sandbox_bank":
        return _local_midnight(p.expected_settlement, tz)
    if p.status == PaymentStatus.PENDING_APPROVAL:
        deadline = (p.approval_snapshot or {}).get("deadline")
        if deadline and not (p.status_reason or "").startswith("Overdue"):
            return _local_midnight(dt.date.fromisoformat(deadline) + dt.timedelta(days=1), tz)
    return None


def _settings(session: Session, org_id: str) -> dict:
    org = session.get(t.Organization, org_id)
    return dict(org.settings or {}) if org is not None else {}


def _changed(obj: object, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[n].history.has_changes() for n in names)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    with session.no_autoflush:
        for org in [o for o in session.dirty if isinstance(o, t.Organization)]:
            if not _changed(org, ("settings",)):
                continue
            old = (inspect(org).attrs.settings.history.deleted or [{}])[0] or {}
            new = org.settings or {}
            if all(old.get(k) == new.get(k) for k in _CLOCK_SETTINGS):
                continue
            for p in session.scalars(select(t.Payment).where(t.Payment.org_id == org.id,
                                                              t.Payment.status.in_(WAITING))):
                p.due_at = due_at(p, new)
        for p in list(session.new) + list(session.dirty):
            if isinstance(p, t.Payment) and (p in session.new or _changed(p, _WATCHED)):
                p.due_at = due_at(p, _settings(session, p.org_id))


_HOOKED = "_billpay_due_at_hooked"


def install(factory: sessionmaker[Session]) -> None:
    """Keep ``payments.due_at`` on every flush of sessions made by ``factory`` (once per factory).

    The mark is kept on the factory itself: ``event.contains`` would ask SQLAlchemy's registry, which keys a
    sessionmaker's listeners by the ``id()`` of its Session subclass and keeps the key after that class is
    collected, so a new factory at a recycled address looked hooked when it was not."""
    if getattr(factory, _HOOKED, False):
        return
    event.listen(factory, "before_flush", _before_flush)
    setattr(factory, _HOOKED, True)


def refresh(session: Session, org_id: str, now: dt.datetime) -> int:
    """Recompute the organization's payments that were due at ``now`` (after its scheduled work ran)."""
    settings = _settings(session, org_id)
    rows = session.scalars(select(t.Payment).where(t.Payment.org_id == org_id, t.Payment.due_at <= now))
    n = 0
    for p in rows:
        p.due_at = due_at(p, settings)
        n += 1
    return n
