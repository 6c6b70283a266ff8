"""The path every Business Central API call takes through the sandbox.

``ApiPipeline.run`` authenticates the bearer token (tenant, environment, the app's card on the
Microsoft Entra Applications page, permission sets), applies injected faults, enforces the per-user
limits (5 requests in flight, 6,000 per 5 minutes: 429 ``Application_TooManyRequests`` with
``Retry-After``), adds latency, runs the operation under the state lock, withholds the answer of a
committed write when "timeout after commit" fires, renders JSON and counts the call.
"""

from __future__ import annotations

import email.utils
import json
import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Callable

import anyio
from starlette.requests import Request
from starlette.responses import Response

from ...core import wirejson, withhold_committed_response
from .. import errors
from ..api import ApiResponse
from ..identity import Principal
from ..models import BusinessCentralState, Environment

JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"

Work = Callable[[Principal, Environment], tuple[ApiResponse, bool]]


def bc_number(value: Decimal) -> str:
    """Numbers as BC writes them: ``1485.3``, ``100``, ``0.01`` (no exponent, no trailing zeros)."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def client_base(request: Request) -> str:
    """The sandbox's root as the client addressed it (``X-Forwarded-Proto``/``-Host`` first, then ``Host``)."""
    proto = (request.headers.get("x-forwarded-proto") or request.url.scheme).split(",")[0].strip()
    host = (request.headers.get("x-forwarded-host") or request.headers.get("host") or request.url.netloc)
    host = host.split(",")[0].strip()
    return f"{proto}://{host}{request.scope.get('root_path', '') or ''}".rstrip("/")


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


_DECIMAL_MARK = "\x00bcnum:"
_DECIMAL_TOKEN = re.compile(r'"\\u0000bcnum:([0-9.\-]+)"')


def _encode_default(value: object) -> str:
    if isinstance(value, Decimal):
        return _DECIMAL_MARK + bc_number(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} in a Business Central answer")


def dumps(body: object) -> str:
    """JSON with ``Decimal`` as plain numbers, at the speed of the standard library's C encoder.

    Decimals are first written as marked strings, then the marks are replaced by the bare numbers;
    a NUL character cannot reach a string of the sandbox (``schema.coerce`` refuses it), so no value
    can look like a mark."""
    text = json.dumps(body, default=_encode_default, ensure_ascii=False, separators=(",", ":"))
    return _DECIMAL_TOKEN.sub(_number, text)


def _number(match: re.Match[str]) -> str:
    return match.group(1)


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    all_headers = {"OData-Version": "4.0", **(headers or {})}
    return Response(dumps(body), status_code=status, headers=all_headers, media_type=JSON_TYPE)


def error_response(error: errors.BCError, correlation_id: str) -> Response:
    return json_response(error.status, error.body(correlation_id), error.headers)


def render(answer: ApiResponse, correlation_id: str) -> Response:
    headers = {"request-id": correlation_id, **answer.headers}
    if answer.status == 204 or answer.body is None:
        return Response(status_code=answer.status, headers={"OData-Version": "4.0", **headers})
    if isinstance(answer.body, str):
        return Response(answer.body, status_code=answer.status, headers=headers, media_type=answer.content_type)
    return json_response(answer.status, answer.body, headers)


async def read_json(request: Request) -> object:
    raw = await request.body()
    if not raw.strip():
        return None
    if "json" not in request.headers.get("content-type", "application/json").lower():
        raise errors.BCError(415, "BadRequest", "The request body must be JSON (Content-Type: application/json).")
    try:
        return wirejson.loads(raw)
    except ValueError:
        raise errors.bad_request("The request body is not valid JSON.") from None


class ApiPipeline:
    """Runs one API call for ``state`` (see module docstring)."""

    def __init__(self, state: BusinessCentralState) -> None:
        self.state = state

    async def run(self, request: Request, *, tenant: str | None, environment: str, write: bool, kind: str,
                  work: Work) -> Response:
        state = self.state
        correlation_id = str(uuid.uuid4())
        company_key: str | None = None
        try:
            principal, env = state.authenticate(bearer_token(request), tenant, environment, write=write)
            if state.faults.take_throttle():
                raise errors.too_many_requests(2)
            failure = state.faults.take_failure()
            if failure is not None:
                raise errors.injected(failure)
            user = principal.object_id
            now = state.now()
            refused = state.limiter.try_enter(user, now)
            if refused is not None:
                raise errors.too_many_requests(int(state.limiter.retry_after(user, refused, now) + 0.999))
            try:
                latency = state.faults.latency_seconds
                if latency:
                    await anyio.sleep(latency)
                with state.lock:
                    answer, wrote = work(principal, env)
                    if wrote:
                        state.save()
            finally:
                state.limiter.leave(user)
            company_key = env.tenant_id
            response = render(answer, correlation_id)
            if wrote and answer.status < 300 and state.faults.take_timeout_after_commit():
                response = await withhold_committed_response(request.scope, response, state.faults.hang_seconds)
        except errors.BCError as error:
            response = error_response(error, correlation_id)
        response.headers["Date"] = email.utils.format_datetime(state.now(), usegmt=True)
        state.requests.record(method=request.method, kind=kind, status=response.status_code, at=state.now(),
                              realm=company_key)
        return response
