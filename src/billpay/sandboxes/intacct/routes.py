"""``create_app(state)``: the Sage Intacct XML gateway sandbox as one ASGI app.

``POST /ia/xml/xmlgw.phtml`` is the gateway (HTTP 200 for every answer the
gateway gives in XML, business failures included; 429 with GW-0010 when more
than two requests of one company are in flight or when the fault is injected;
the injected 5xx otherwise). ``GET`` on the gateway is refused, as Intacct
has refused GET since 2023. The control plane is under ``/_sandbox/``
(``core.control_router`` plus the "Intacct UI" helpers below). Every URL the
sandbox hands out is built from the address the client used
(``X-Forwarded-Proto``/``X-Forwarded-Host`` behind a proxy).

UI helpers (JSON):
- ``POST /_sandbox/companies/{company}/bills/{recordno}/pay`` — ``{"amount"?, "bank_account_id"?}``
- ``POST /_sandbox/companies/{company}/bills/{recordno}/delete``
- ``POST /_sandbox/companies/{company}/bills/{recordno}/edit`` — header fields, e.g. ``{"DESCRIPTION": "x"}``
- ``POST /_sandbox/companies/{company}/{object}/{key}/status`` — ``{"status": "inactive"}``
- ``POST|DELETE /_sandbox/companies/{company}/senders/{sender}`` — authorize or revoke a sender
- ``POST /_sandbox/companies/{company}/settings`` — ``timezone``, ``session_seconds``, ``closed_through``
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from ...connectors.base import xmlcodec
from ..core import ControlError, control_router, public_base_url, withhold_committed_response
from ..core.control import error_response, json_body
from .errors import ErrorDetail, GatewayFault, IntacctError, rate_limited, schema_error, service_unavailable
from .models import GATEWAY_PATH, Finished, IntacctState, UnknownCompany

XML_TYPE = 'text/xml; encoding="UTF-8";charset=UTF-8'
MAX_BODY = 10 * 1024 * 1024


def xml_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, headers={"content-type": XML_TYPE})


def gateway_failure(fault: GatewayFault) -> Response:
    root = xmlcodec.build("response", {"control": {"status": "failure"}})
    holder = xmlcodec.append(root, "errormessage")
    for detail in fault.details:
        holder.append(detail.element())
    return xml_response(xmlcodec.to_bytes(root), fault.status)


def create_app(state: IntacctState | None = None) -> FastAPI:
    state = state if state is not None else IntacctState()
    app = FastAPI(title="Sage Intacct sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.intacct = state

    def record(request: Request, kind: str, status: int, company: str | None, replayed: bool = False) -> None:
        state.requests.record(method=request.method, kind=kind, status=status, at=state.now(), realm=company,
                              replayed=replayed)

    @app.post(GATEWAY_PATH)
    async def gateway(request: Request) -> Response:
        body = await request.body()
        base = public_base_url(request)
        if state.faults.take_throttle():
            record(request, "GW-0010", 429, None)
            return gateway_failure(rate_limited(state.limiter.limits.concurrent))
        failure = state.faults.take_failure()
        if failure is not None:
            record(request, f"HTTP {failure}", failure, None)
            if failure == 429:
                return gateway_failure(rate_limited(state.limiter.limits.concurrent))
            return gateway_failure(service_unavailable(failure))
        if len(body) > MAX_BODY:
            fault = schema_error(f"The request is larger than {MAX_BODY // (1024 * 1024)} MB.")
            return gateway_failure(GatewayFault(413, fault.details[0]))
        prepared = state.prepare(body)
        if isinstance(prepared, Finished):
            record(request, "authentication", 200, prepared.company_id)
            return xml_response(prepared.body)
        company_id = prepared.company.company_id
        kind = ",".join(dict.fromkeys(prepared.request.names)) or "empty"
        if state.limiter.try_enter(company_id, state.now()) is not None:
            record(request, "GW-0010", 429, company_id)
            return gateway_failure(rate_limited(state.limiter.limits.concurrent))
        try:
            latency = state.faults.latency_seconds
            if latency:
                await anyio.sleep(latency)
            answer, outcome = state.execute(prepared, base)
        finally:
            state.limiter.leave(company_id)
        response = xml_response(answer)
        if outcome.committed_writes and state.faults.take_timeout_after_commit():
            response = await withhold_committed_response(request.scope, response, state.faults.hang_seconds)
        record(request, kind, 200, company_id, replayed=outcome.refused_repeats > 0)
        return response

    @app.get(GATEWAY_PATH)
    async def gateway_get(request: Request) -> Response:
        record(request, "GET", 405, None)
        return gateway_failure(GatewayFault(405, ErrorDetail(
            "GW-0011", "Invalid Request", "HTTP GET is not accepted by the XML gateway.",
            "Send the XML request with POST and content-type application/xml.")))

    app.include_router(control_router(lambda request: state))
    app.include_router(_ui_router(state))

    @app.get("/")
    async def index(request: Request) -> JSONResponse:
        base = public_base_url(request)
        return JSONResponse({"platform": "intacct", "endpoint_url": base + GATEWAY_PATH,
                             "companies": state.company_ids()})

    return app


def _ui_router(state: IntacctState) -> APIRouter:
    router = APIRouter(prefix="/_sandbox/companies")

    async def act(request: Request, action: Callable[[dict], Any]) -> Response:
        try:
            result = action(await json_body(request))
        except UnknownCompany as exc:
            return error_response(f"unknown company {exc.args[0]}", 404)
        except KeyError as exc:
            return error_response(f"not found: {exc.args[0]}", 404)
        except (ControlError, ValueError, TypeError, IntacctError) as exc:
            return error_response(str(exc) or exc.__class__.__name__)
        return JSONResponse(_jsonable(result if result is not None else {"ok": True}))

    @router.get("")
    async def companies() -> JSONResponse:
        return JSONResponse({"companies": [{"company_id": c, "name": state.company(c).name}
                                           for c in state.company_ids()]})

    @router.post("/{company_id}/settings")
    async def settings(request: Request, company_id: str) -> Response:
        return await act(request, lambda body: state.set_company_settings(company_id, **body))

    @router.post("/{company_id}/bills/{recordno}/pay")
    async def pay(request: Request, company_id: str, recordno: str) -> Response:
        def run(body: dict) -> dict:
            unknown = set(body) - {"amount", "bank_account_id"}
            if unknown:
                raise ControlError(f"unknown keys: {sorted(unknown)}")
            amount = Decimal(str(body["amount"])) if body.get("amount") is not None else None
            return state.pay_bill_elsewhere(company_id, recordno, amount=amount,
                                            bank_account_id=body.get("bank_account_id"))
        return await act(request, run)

    @router.post("/{company_id}/bills/{recordno}/delete")
    async def delete(request: Request, company_id: str, recordno: str) -> Response:
        return await act(request, lambda _: state.delete_bill(company_id, recordno))

    @router.post("/{company_id}/bills/{recordno}/edit")
    async def edit(request: Request, company_id: str, recordno: str) -> Response:
        def run(body: dict) -> dict:
            changes = {k: (dt.date.fromisoformat(v) if k in ("WHENDUE", "WHENCREATED") else v)
                       for k, v in body.items()}
            return state.edit_bill(company_id, recordno, **changes)
        return await act(request, run)

    @router.post("/{company_id}/{obj}/{key}/status")
    async def status(request: Request, company_id: str, obj: str, key: str) -> Response:
        return await act(request, lambda body: state.set_status(company_id, obj.upper(), key,
                                                                str(body.get("status", "inactive"))))

    @router.post("/{company_id}/senders/{sender_id}")
    async def authorize(request: Request, company_id: str, sender_id: str) -> Response:
        return await act(request, lambda _: state.authorize_sender(company_id, sender_id))

    @router.delete("/{company_id}/senders/{sender_id}")
    async def revoke(request: Request, company_id: str, sender_id: str) -> Response:
        return await act(request, lambda _: state.revoke_sender(company_id, sender_id))

    return router


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (Decimal, dt.date, dt.datetime)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


__all__ = ["create_app"]
