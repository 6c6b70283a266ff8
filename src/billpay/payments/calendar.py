"""Business days for US payments: weekends and Federal Reserve holidays.

Which calendar
--------------
ACH and Fedwire move money only on days the Federal Reserve Banks are open,
so the calendar is the Federal Reserve's (``holidays.financial_holidays("XFED")``),
not the NYSE's (which closes on Good Friday, and on the Friday before a
Saturday holiday) and not the plain federal calendar (which moves Saturday
holidays to Friday). The Fed's observed-day rules:

* a holiday on a **Sunday** is observed the following **Monday** (closed);
* a holiday on a **Saturday** is **not** moved: the Reserve Banks are **open
  the Friday before** (e.g. Independence Day 2026 is Saturday 4 July; Friday
  3 July 2026 is a business day).

Day arithmetic
--------------
``next_business_day(d)`` and ``previous_business_day(d)`` are strict (never
return ``d``). ``add_business_days(d, n)`` steps ``n`` business days from
``d`` (``n`` may be negative; ``d`` itself needn't be a business day; ``n=0``
returns ``d`` unchanged). ``business_days_between(a, b)`` counts the business
days stepped onto going from ``a`` to ``b``: those with ``a < d <= b``, or
minus those with ``b <= d < a`` when ``b`` is earlier; so for a business day
``b``, ``add_business_days(a, business_days_between(a, b)) == b``.

All functions are pure: the caller passes ``today``; nothing reads the clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from billpay.payments.errors import PaymentRuleError

__all__ = [
    "DEFAULT_RELEASE_HOUR",
    "DEFAULT_RELEASE_TZ",
    "add_business_days",
    "approval_deadline",
    "business_days_between",
    "holiday_name",
    "is_business_day",
    "next_business_day",
    "previous_business_day",
    "release_at",
    "roll_forward",
    "validate_pay_date",
]

DEFAULT_RELEASE_TZ = "America/New_York"
DEFAULT_RELEASE_HOUR = 4

# A search bound: no real calendar has this many non-business days in a row.
_MAX_SCAN_DAYS = 31


@lru_cache(maxsize=64)
def _fed_holidays(year: int) -> dict[date, str]:
    # A frozen per-year copy: `holidays` objects grow lazily on lookup, which
    # is not safe to share between threads.
    return dict(holidays.financial_holidays("XFED", years=year).items())


def holiday_name(d: date) -> str | None:
    """The Federal Reserve holiday on ``d`` (its observed day), or ``None``."""
    return _fed_holidays(d.year).get(d)


def is_business_day(d: date) -> bool:
    """True on Monday–Friday when the Federal Reserve Banks are open."""
    return d.weekday() < 5 and holiday_name(d) is None


def next_business_day(d: date) -> date:
    """The first business day strictly after ``d``."""
    return _scan(d, 1)


def previous_business_day(d: date) -> date:
    """The last business day strictly before ``d``."""
    return _scan(d, -1)


def roll_forward(d: date) -> date:
    """``d`` when it is a business day, else the next business day."""
    return d if is_business_day(d) else next_business_day(d)


def add_business_days(d: date, n: int) -> date:
    """Step ``n`` business days from ``d`` (backwards when ``n`` < 0)."""
    step = 1 if n >= 0 else -1
    for _ in range(abs(n)):
        d = _scan(d, step)
    return d


def business_days_between(a: date, b: date) -> int:
    """Business days ``d`` with ``a < d <= b``; when ``b < a``, minus those with ``b <= d < a``."""
    if b < a:
        return -sum(1 for i in range((a - b).days) if is_business_day(b + timedelta(days=i)))
    return sum(1 for i in range(1, (b - a).days + 1) if is_business_day(a + timedelta(days=i)))


def approval_deadline(pay_date: date) -> date:
    """Approvals are due by the business day before the pay date."""
    return previous_business_day(pay_date)


#: Business days kept free before the due date for approvers when a payment needs approval.
APPROVAL_LEAD_DAYS = 2


def suggested_pay_date(due: date | None, today: date, *, needs_approval: bool = False) -> date:
    """The pay date to offer: the due date when it is a business day, else the last business day
    before it; with approval needed, ``APPROVAL_LEAD_DAYS`` business days earlier still. Never before
    the first date the payment can really go (today, or with approval the business day after today,
    since approval is due the business day before the pay date) — an overdue bill gets that date."""
    earliest = roll_forward(today)
    if needs_approval:
        earliest = next_business_day(earliest) if approval_deadline(earliest) < today else earliest
    if due is None:
        return earliest
    target = due if is_business_day(due) else previous_business_day(due)
    if needs_approval:
        target = add_business_days(target, -APPROVAL_LEAD_DAYS)
    return max(target, earliest)


def release_at(
    pay_date: date, tz: str = DEFAULT_RELEASE_TZ, hour: int = DEFAULT_RELEASE_HOUR
) -> datetime:
    """The aware instant a scheduled payment is released: ``hour`` o'clock on
    ``pay_date`` in ``tz`` (4 AM New York by default), DST-correct."""
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0..23, got {hour}")
    return datetime.combine(pay_date, time(hour), tzinfo=ZoneInfo(tz))


def validate_pay_date(pay_date: date, today: date) -> None:
    """Refuse a pay date before ``today`` or on a non-business day.

    Codes: ``pay_date_in_past``; ``pay_date_not_business_day`` (``data``
    holds ``next_business_day`` as an ISO date, also named in ``detail``).
    """
    if pay_date < today:
        raise PaymentRuleError(
            "pay_date_in_past",
            f"The pay date {pay_date.isoformat()} is in the past; "
            f"choose {today.isoformat()} or later.",
            {"pay_date": pay_date.isoformat(), "today": today.isoformat()},
        )
    if not is_business_day(pay_date):
        suggestion = next_business_day(pay_date)
        why = holiday_name(pay_date) or pay_date.strftime("%A")
        raise PaymentRuleError(
            "pay_date_not_business_day",
            f"{pay_date.isoformat()} is not a banking day ({why}); "
            f"the next business day is {suggestion.strftime('%A')} {suggestion.isoformat()}.",
            {"pay_date": pay_date.isoformat(), "next_business_day": suggestion.isoformat()},
        )


def _scan(d: date, step: int) -> date:
    for i in range(1, _MAX_SCAN_DAYS + 1):
        candidate = d + timedelta(days=step * i)
        if is_business_day(candidate):
            return candidate
    raise RuntimeError(f"no business day within {_MAX_SCAN_DAYS} days of {d}")  # pragma: no cover
