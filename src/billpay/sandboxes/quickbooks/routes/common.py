"""The path every QuickBooks API call takes through the sandbox.

``ApiPipeline.run`` authenticates the bearer token, applies injected faults
and rate limits, adds latency, runs the operation, withholds the response of a
committed write when "timeout after commit" fires, renders QuickBooks JSON
with an ``intuit_tid`` header and counts the call.
"""

from __future__ import annotations

import secrets
import time
from decimal import Decimal
from typing import Awaitable, Callable

import anyio
from starlette.requests import Request
from starlette.responses import Response

from ...core import wirejson, withhold_committed_response
from .. import errors, timefmt
from ..models import QuickBooksState

JSON_TYPE = "application/json;charset=UTF-8"

Work = Callable[[], Awaitable[tuple[int, dict, bool]]]


def qbo_number(value: Decimal) -> str:
    """Numbers as QuickBooks writes them: ``200.0``, ``103.55``, ``0``."""
    if value == 0:
        return "0"
    normal = value.normalize()
    if normal == normal.to_integral_value():
        return f"{int(normal)}.0"
    return format(normal, "f")


def new_tid() -> str:
    return f"1-{int(time.time()):x}-{secrets.token_hex(12)}"


def qbo_response(
    status: int, body: dict, *, tid: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    all_headers = {"intuit_tid": tid or new_tid(), **(headers or {})}
    return Response(
        wirejson.dumps(body, number=qbo_number), status_code=status, headers=all_headers, media_type=JSON_TYPE
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def check_minor_version(request: Request) -> None:
    """Any integer ``minorversion`` is served as 75 (Intuit's 2025 rule); a
    non-integer is refused."""
    value = request.query_params.get("minorversion")
    if value is not None and not value.strip().isdigit():
        raise errors.invalid_property("minorversion", element="minorversion")


def check_accept(request: Request) -> None:
    accept = request.headers.get("accept", "").lower()
    if (
        accept
        and "json" not in accept
        and "*/*" not in accept
        and "application/*" not in accept
        and "text/plain" not in accept
    ):
        raise errors.QBOFault(
            "500",
            "Unsupported Operation",
            "Operation Accept: " + accept + " is not supported; this sandbox answers JSON.",
            status=406,
        )


async def read_json(request: Request) -> object:
    content_type = request.headers.get("content-type", "application/json").lower()
    if "xml" in content_type:
        raise errors.QBOFault(
            "500",
            "Unsupported Operation",
            "Operation XML request bodies is not supported; send JSON.",
            status=415,
        )
    raw = await request.body()
    try:
        return wirejson.loads(raw)
    except ValueError:
        raise errors.invalid_property("Can not parse request body") from None


def injected_failure(status: int) -> Exception:
    if status == 429:
        return errors.throttled()
    if status in (401, 403):
        return errors.AuthFault(
            status, "Token expired: injected by the sandbox" if status == 401 else "Access denied"
        )
    if status == 400:
        return errors.business_validation("Fault injected by the sandbox.")
    return errors.system_failure(status, "System Failure Error: fault injected by the sandbox")


class ApiPipeline:
    """Runs one API call for ``state`` (see module docstring)."""

    def __init__(self, state: QuickBooksState) -> None:
        self.state = state

    async def run(
        self,
        request: Request,
        realm_id: str,
        kind: str,
        work: Work,
        *,
        write: bool = False,
        batch: bool = False,
    ) -> Response:
        state = self.state
        tid = new_tid()
        replayed = False
        try:
            state.authenticate(bearer_token(request), realm_id)
            check_minor_version(request)
            check_accept(request)
            if state.faults.take_throttle():
                raise errors.throttled()
            failure = state.faults.take_failure()
            if failure is not None:
                raise injected_failure(failure)
            if state.limiter.try_enter(realm_id, state.now(), batch=batch) is not None:
                raise errors.throttled()
            try:
                latency = state.faults.latency_seconds
                if latency:
                    await anyio.sleep(latency)
                status, body, replayed = await work()
            finally:
                state.limiter.leave(realm_id)
            response = qbo_response(status, body, tid=tid)
            if write and status == 200 and not replayed and state.faults.take_timeout_after_commit():
                response = await withhold_committed_response(
                    request.scope, response, state.faults.hang_seconds
                )
        except errors.AuthFault as fault:
            response = qbo_response(
                fault.status, fault.body(timefmt.epoch_millis(state.now())), tid=tid, headers=fault.headers()
            )
        except errors.QBOFault as fault:
            response = qbo_response(fault.status, fault.body(state.response_time(realm_id)), tid=tid)
        state.requests.record(
            method=request.method,
            kind=kind,
            status=response.status_code,
            at=state.now(),
            realm=realm_id,
            replayed=replayed,
        )
        return response
