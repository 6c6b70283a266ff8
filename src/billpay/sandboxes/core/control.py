"""The control plane every sandbox exposes under ``/_sandbox/`` (moto_api shape).

Endpoints (JSON in, JSON out):

- ``POST /_sandbox/reset`` — forget everything (companies, clients, tokens, faults, counters).
- ``POST /_sandbox/seed`` — create a seeded company; body is platform options
  (QuickBooks: ``{"vendors": 5, "bills": 0, "realm_id": null, "name": null}``);
  returns everything a client needs to connect.
- ``GET|POST|DELETE /_sandbox/faults`` — read, change or clear fault settings.
- ``GET /_sandbox/requests`` — call counters (``?recent=N`` recent entries);
  ``DELETE /_sandbox/requests`` resets them.
- ``GET|POST /_sandbox/clock`` — read the clock, or ``{"advance_seconds": N}``.
- ``GET|POST /_sandbox/limits`` — rate limits (``per_minute``, ``concurrent``, ``batch_per_minute``).

A platform enrols by implementing ``ControlBackend`` and including
``control_router(get_backend)`` in its app.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse


class ControlBackend(Protocol):
    """What a platform state offers the control plane."""

    platform: str

    def reset(self) -> None: ...

    def seed_for_control(self, options: dict, base_url: str) -> dict: ...

    def set_faults(self, **settings: Any) -> dict: ...

    def clear_faults(self) -> dict: ...

    def fault_settings(self) -> dict: ...

    def request_stats(self, recent: int = 50) -> dict: ...

    def reset_request_stats(self) -> None: ...

    def clock_info(self) -> dict: ...

    def advance_clock(self, seconds: float) -> dict: ...

    def set_limits(self, **limits: Any) -> dict: ...

    def limits(self) -> dict: ...


class ControlPlaneMixin:
    """The parts of ``ControlBackend`` every sandbox state answers the same way.

    The state provides ``lock``, ``clock`` (``SandboxClock``), ``faults`` (``FaultInjector``),
    ``limiter`` (``RateLimiter``), ``requests`` (``RequestLog``) and ``_save()``; it adds
    ``reset``, ``seed_for_control`` and whatever fault settings of its own it has.
    """

    lock: Any
    clock: Any
    faults: Any
    limiter: Any
    requests: Any

    def _save(self) -> None: ...

    def now(self) -> Any:
        return self.clock.now()

    def set_limits(self, **limits: Any) -> dict:
        return self.limiter.configure(**limits)

    def limits(self) -> dict:
        return self.limiter.snapshot()

    def advance_clock(self, seconds: float) -> dict:
        with self.lock:
            self.clock.advance(seconds)
            self._save()
            return self.clock_info()

    def clock_info(self) -> dict:
        return {"now": self.now().isoformat(), "offset_seconds": self.clock.offset_seconds}

    def request_stats(self, recent: int = 50) -> dict:
        return self.requests.snapshot(recent=recent)

    def reset_request_stats(self) -> None:
        self.requests.reset()


class ControlError(ValueError):
    """A control-plane request the sandbox cannot honour (answered 400)."""


def sandbox_base_url(request: Request) -> str:
    """The sandbox's own root URL, including the prefix it is mounted under."""
    root = request.scope.get("root_path", "") or ""
    return str(request.url.replace(path=root or "/", query="", fragment="")).rstrip("/")


_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def public_base_url(request: Request) -> str:
    """The sandbox's root URL as the client addressed it, for URLs handed out in responses.

    Behind a reverse proxy that is ``X-Forwarded-Proto``/``X-Forwarded-Host`` (the first
    value of each); otherwise the request's scheme and ``Host`` header. A host that is not
    a plain host name (or ``[ipv6]``) with an optional port is ignored, so a forged header
    cannot inject text into the URLs. The prefix the app is mounted under is kept.
    """
    headers = request.headers
    proto = (headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
    if proto not in ("http", "https"):
        proto = request.url.scheme
    host = ""
    for candidate in ((headers.get("x-forwarded-host") or "").split(",")[0].strip(), headers.get("host") or ""):
        if candidate and _HOST.match(candidate):
            host = candidate
            break
    host = host or request.url.netloc
    root = (request.scope.get("root_path", "") or "").rstrip("/")
    return f"{proto}://{host}{root}"


async def json_body(request: Request) -> dict:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ControlError("body must be JSON") from None
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def error_response(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def control_router(get_backend: Callable[[Request], ControlBackend]) -> APIRouter:
    """Routes for the shared control plane, bound to the app's backend."""
    router = APIRouter(prefix="/_sandbox")

    async def guarded(request: Request, action: Callable[[ControlBackend, dict], Any]) -> JSONResponse:
        try:
            body = await json_body(request)
            result = action(get_backend(request), body)
        except (ControlError, ValueError, TypeError) as exc:
            return error_response(str(exc))
        return JSONResponse(result if result is not None else {"ok": True})

    @router.post("/reset")
    async def reset(request: Request) -> JSONResponse:
        def act(backend: ControlBackend, _: dict) -> dict:
            backend.reset()
            return {"ok": True, "platform": backend.platform}

        return await guarded(request, act)

    @router.post("/seed")
    async def seed(request: Request) -> JSONResponse:
        base = sandbox_base_url(request)
        return await guarded(request, lambda backend, body: backend.seed_for_control(body, base))

    @router.get("/faults")
    async def get_faults(request: Request) -> JSONResponse:
        return JSONResponse(get_backend(request).fault_settings())

    @router.post("/faults")
    async def set_faults(request: Request) -> JSONResponse:
        return await guarded(request, lambda backend, body: backend.set_faults(**body))

    @router.delete("/faults")
    async def clear_faults(request: Request) -> JSONResponse:
        return JSONResponse(get_backend(request).clear_faults())

    @router.get("/requests")
    async def requests(request: Request) -> JSONResponse:
        try:
            recent = int(request.query_params.get("recent", "50"))
        except ValueError:
            return error_response("recent must be an integer")
        return JSONResponse(get_backend(request).request_stats(recent=recent))

    @router.delete("/requests")
    async def reset_requests(request: Request) -> JSONResponse:
        get_backend(request).reset_request_stats()
        return JSONResponse({"ok": True})

    @router.get("/clock")
    async def clock(request: Request) -> JSONResponse:
        return JSONResponse(get_backend(request).clock_info())

    @router.post("/clock")
    async def advance_clock(request: Request) -> JSONResponse:
        def act(backend: ControlBackend, body: dict) -> dict:
            unknown = set(body) - {"advance_seconds"}
            if unknown:
                raise ControlError(f"unknown keys: {sorted(unknown)}")
            return backend.advance_clock(float(body.get("advance_seconds", 0)))

        return await guarded(request, act)

    @router.get("/limits")
    async def get_limits(request: Request) -> JSONResponse:
        return JSONResponse(get_backend(request).limits())

    @router.post("/limits")
    async def set_limits(request: Request) -> JSONResponse:
        return await guarded(request, lambda backend, body: backend.set_limits(**body))

    return router
