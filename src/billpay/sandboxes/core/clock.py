"""The sandbox's notion of "now": wall-clock time plus an adjustable offset."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class SandboxClock:
    """Wall-clock UTC time that tests can move forward (token expiry, CDC windows).

    ``advance()`` adds to an offset; ``freeze()`` stops the clock at a given
    instant (still shifted by the offset) until ``unfreeze()``. All values are
    timezone-aware UTC datetimes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        with self._lock:
            base = self._frozen if self._frozen is not None else datetime.now(timezone.utc)
            return base + self._offset

    def advance(self, seconds: float) -> datetime:
        """Move time forward (or back, with a negative value); returns the new now."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def freeze(self, at: datetime | None = None) -> datetime:
        with self._lock:
            if at is None:
                at = datetime.now(timezone.utc)
            elif at.tzinfo is None:
                raise ValueError("freeze() needs a timezone-aware datetime")
            self._frozen = at.astimezone(timezone.utc)
        return self.now()

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen = None

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta()
            self._frozen = None

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset.total_seconds()

    def to_dict(self) -> dict:
        return {"offset_seconds": self.offset_seconds}

    def load(self, data: dict) -> None:
        with self._lock:
            self._offset = timedelta(seconds=float(data.get("offset_seconds", 0)))
            self._frozen = None
