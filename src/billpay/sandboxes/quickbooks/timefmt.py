"""QuickBooks date and time formats.

Entities carry ``MetaData`` times to the second with the company's UTC offset
(``2014-12-31T09:59:18-08:00``); every response carries ``time`` to the
millisecond (``2015-07-14T12:34:03.964-07:00``). Times a client sends without
an offset are read in the company's time zone, as QuickBooks does.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache

DEFAULT_TIMEZONE = "America/Los_Angeles"

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@lru_cache(maxsize=32)
def zone(name: str) -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # no tz database on this machine: fall back to UTC
        return timezone.utc


def _offset(dt: datetime) -> str:
    text = dt.strftime("%z")  # +HHMM
    return f"{text[:3]}:{text[3:]}" if text else "+00:00"


def entity_time(at: datetime, tz: tzinfo) -> str:
    local = at.astimezone(tz)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + _offset(local)


def response_time(at: datetime, tz: tzinfo) -> str:
    local = at.astimezone(tz)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + _offset(local)


def epoch_millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def local_date(at: datetime, tz: tzinfo) -> date:
    return at.astimezone(tz).date()


def parse_datetime(text: str, tz: tzinfo) -> datetime:
    """A date or date-time as clients send it; raises ValueError when unreadable."""
    text = text.strip()
    if _DATE_RE.match(text):
        return datetime.combine(date.fromisoformat(text), time(), tzinfo=tz)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` (a longer date-time string is cut to its date part)."""
    text = text.strip()
    if len(text) > 10 and text[10] in "T ":
        text = text[:10]
    if not _DATE_RE.match(text):
        raise ValueError(f"not a date: {text!r}")
    return date.fromisoformat(text)


def add_days(day: date, days: int) -> date:
    return day + timedelta(days=days)
