"""Counts of the calls a sandbox received, for tests and benchmarks.

Benchmarks read ``snapshot()["total_api_calls"]`` before and after a run to
count the platform API calls a sync made; ``by_kind`` breaks them down by
method and path kind (e.g. ``"POST /bill"``, ``"GET /bill/{id}"``,
``"POST /query"``).
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from datetime import datetime


@dataclass(frozen=True)
class RequestRecord:
    at: str
    method: str
    kind: str
    status: int
    realm: str | None
    api: bool
    replayed: bool = False


class RequestLog:
    """Thread-safe counters plus a bounded list of recent requests."""

    def __init__(self, keep_recent: int = 500) -> None:
        self._lock = threading.Lock()
        self._keep = keep_recent
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._total_api = 0
            self._total_other = 0
            self._by_kind: Counter[str] = Counter()
            self._by_status: Counter[str] = Counter()
            self._by_realm: Counter[str] = Counter()
            self._replayed = 0
            self._recent: deque[RequestRecord] = deque(maxlen=self._keep)

    def record(
        self,
        *,
        method: str,
        kind: str,
        status: int,
        at: datetime,
        realm: str | None = None,
        api: bool = True,
        replayed: bool = False,
    ) -> None:
        """Count one request. ``api`` is False for auth and control-plane calls."""
        key = f"{method} {kind}"
        with self._lock:
            if api:
                self._total_api += 1
                if realm:
                    self._by_realm[realm] += 1
            else:
                self._total_other += 1
            self._by_kind[key] += 1
            self._by_status[str(status)] += 1
            if replayed:
                self._replayed += 1
            self._recent.append(RequestRecord(at.isoformat(), method, kind, status, realm, api, replayed))

    def snapshot(self, recent: int = 50) -> dict:
        with self._lock:
            items = list(self._recent)[-recent:] if recent else []
            return {
                "total_api_calls": self._total_api,
                "total_other_calls": self._total_other,
                "by_kind": dict(sorted(self._by_kind.items())),
                "by_status": dict(sorted(self._by_status.items())),
                "by_realm": dict(self._by_realm),
                "replayed": self._replayed,
                "recent": [asdict(r) for r in items],
            }
