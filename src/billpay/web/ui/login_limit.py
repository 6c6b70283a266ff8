"""The sign-in rate limit, shared by every web process through the database.

At most ``limit`` failed sign-ins per e-mail and client address in a sliding window; then sign-in for that
pair is locked until the oldest failure leaves the window. Failures are rows (keyed by a hash, never the
e-mail itself), so several processes or machines behind a balancer count together, and a restart does not
reset the count. A successful sign-in clears the pair's failures.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, func, select

from ...db import tables as t
from ...ids import new_id


class DbLoginLimiter:
    def __init__(self, container, limit: int, window_s: float = 15 * 60) -> None:  # noqa: ANN001
        self.container, self.limit, self.window = container, limit, dt.timedelta(seconds=window_s)

    @staticmethod
    def _key(email: str, ip: str) -> str:
        return hashlib.sha256(f"{email.strip().lower()}\n{ip}".encode()).hexdigest()

    def retry_after(self, email: str, ip: str) -> int:
        """Seconds until another attempt is allowed (0 = allowed now)."""
        now = self.container.now()
        with self.container.sessionmaker() as s:
            count, oldest = s.execute(select(func.count(), func.min(t.LoginFailure.failed_at)).where(
                t.LoginFailure.key == self._key(email, ip), t.LoginFailure.failed_at > now - self.window)).one()
        if count < self.limit or oldest is None:
            return 0
        return max(1, int((oldest + self.window - now).total_seconds()) + 1)

    def failed(self, email: str, ip: str) -> None:
        now = self.container.now()
        with self.container.sessionmaker() as s, s.begin():
            s.add(t.LoginFailure(id=new_id("lgf"), key=self._key(email, ip), failed_at=now))
            s.execute(delete(t.LoginFailure).where(t.LoginFailure.failed_at < now - 2 * self.window))

    def succeeded(self, email: str, ip: str) -> None:
        with self.container.sessionmaker() as s, s.begin():
            s.execute(delete(t.LoginFailure).where(t.LoginFailure.key == self._key(email, ip)))
