"""Fault injection shared by every platform sandbox.

Standing settings (``latency_ms``, ``hang_seconds``) apply to every API call
until cleared; counted settings (``fail_next``, ``throttle_next``,
``timeout_after_commit``, ``stale_next``) are consumed one request at a time.

"Timeout after commit" is the fault that matters most for idempotency: the
write is committed in the platform state, then the caller never sees the
answer. In-process (``InProcessTransport``) the app marks the response with
``WITHHELD_RESPONSE_HEADER`` and the transport raises ``httpx.ReadTimeout``;
over real HTTP the app holds the response back for ``hang_seconds`` so any
client with a shorter timeout gives up first (a client that waits longer
receives the committed response).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Scope

WITHHELD_RESPONSE_HEADER = "x-sandbox-withheld-response"
IN_PROCESS_SCOPE_KEY = "billpay.sandbox.in_process"

_COUNTED = ("throttle_next", "timeout_after_commit", "stale_next")


@dataclass
class FaultSettings:
    latency_ms: int = 0
    fail_next_count: int = 0
    fail_next_status: int = 500
    throttle_next: int = 0
    timeout_after_commit: int = 0
    hang_seconds: float = 30.0
    stale_next: int = 0


class FaultInjector:
    """Thread-safe fault settings; ``take_*`` methods consume one occurrence."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()

    def configure(self, **settings: Any) -> dict:
        """Update settings; unknown keys raise ``ValueError``.

        Accepted keys: ``latency_ms``, ``fail_next`` (``{"count", "status"}`` or
        a count), ``throttle_next``, ``timeout_after_commit``, ``hang_seconds``,
        ``stale_next``. Returns the resulting snapshot.
        """
        with self._lock:
            s = self._settings
            for key, value in settings.items():
                if key == "latency_ms":
                    s.latency_ms = _non_negative_int(key, value)
                elif key == "hang_seconds":
                    s.hang_seconds = float(value)
                    if s.hang_seconds < 0:
                        raise ValueError("hang_seconds must be >= 0")
                elif key == "fail_next":
                    if isinstance(value, dict):
                        unknown = set(value) - {"count", "status"}
                        if unknown:
                            raise ValueError(f"fail_next: unknown keys {sorted(unknown)}")
                        s.fail_next_count = _non_negative_int("fail_next.count", value.get("count", 1))
                        status = int(value.get("status", 500))
                        if not 400 <= status <= 599:
                            raise ValueError("fail_next.status must be an HTTP error status (400-599)")
                        s.fail_next_status = status
                    else:
                        s.fail_next_count = _non_negative_int(key, value)
                elif key in _COUNTED:
                    setattr(s, key, _non_negative_int(key, value))
                else:
                    raise ValueError(f"unknown fault setting: {key}")
            return asdict(s)

    def clear(self) -> dict:
        with self._lock:
            self._settings = FaultSettings()
            return asdict(self._settings)

    def snapshot(self) -> dict:
        with self._lock:
            return asdict(self._settings)

    @property
    def latency_seconds(self) -> float:
        with self._lock:
            return self._settings.latency_ms / 1000.0

    @property
    def hang_seconds(self) -> float:
        with self._lock:
            return self._settings.hang_seconds

    def take_failure(self) -> int | None:
        """The HTTP status to fail this request with, or None."""
        with self._lock:
            if self._settings.fail_next_count > 0:
                self._settings.fail_next_count -= 1
                return self._settings.fail_next_status
            return None

    def take_throttle(self) -> bool:
        return self._take("throttle_next")

    def take_timeout_after_commit(self) -> bool:
        return self._take("timeout_after_commit")

    def take_stale(self) -> bool:
        return self._take("stale_next")

    def _take(self, name: str) -> bool:
        with self._lock:
            left = getattr(self._settings, name)
            if left > 0:
                setattr(self._settings, name, left - 1)
                return True
            return False

    def to_dict(self) -> dict:
        return self.snapshot()

    def load(self, data: dict) -> None:
        with self._lock:
            known = FaultSettings.__dataclass_fields__
            self._settings = FaultSettings(**{k: v for k, v in data.items() if k in known})


def _non_negative_int(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer") from None
    if number < 0:
        raise ValueError(f"{name} must be >= 0")
    return number


def is_in_process(scope: Scope) -> bool:
    """True when the request came through ``InProcessTransport`` (no socket)."""
    return bool(scope.get("extensions", {}).get(IN_PROCESS_SCOPE_KEY))


async def withhold_committed_response(scope: Scope, response: Response, hang_seconds: float) -> Response:
    """Deliver a committed write's response the way a timeout looks to the caller."""
    if is_in_process(scope):
        response.headers[WITHHELD_RESPONSE_HEADER] = "timeout"
        return response
    await anyio.sleep(hang_seconds)
    return response
