"""The control plane: the shared ``/_sandbox/`` endpoints plus Business Central's own.

Shared (``sandboxes.core.control``): reset, seed, faults (``latency_ms``, ``fail_next``,
``throttle_next`` = 429 with ``Retry-After``, ``timeout_after_commit``, ``hang_seconds``,
``stale_next``, plus ``expire_tokens`` and ``page_size`` here), requests, clock, limits.

Entra ID and the BC admin pages (what an admin does once):

- ``POST /_sandbox/tenants`` ``{"domain"}`` → ``{"tenant_id"}``;
- ``POST /_sandbox/tenants/{tenant}/environments`` ``{"name", "type"}``;
- ``POST /_sandbox/tenants/{tenant}/environments/{env}/companies`` ``{"name", "vendors"}`` → ``{"company_id"}``;
- ``POST /_sandbox/tenants/{tenant}/apps`` ``{"display_name", "consent"}`` → ``{"client_id", "client_secret"}``
  (an app registration with a client secret; ``consent`` grants ``API.ReadWrite.All``);
- ``POST /_sandbox/apps/{client_id}/consent`` ``{"roles": ["API.ReadWrite.All"]}`` (admin consent);
- ``POST /_sandbox/apps/{client_id}/secrets`` → ``{"client_secret"}``;
- ``PUT|DELETE /_sandbox/tenants/{tenant}/environments/{env}/entra-applications/{client_id}``
  ``{"state": "Enabled", "permission_sets": ["D365 AUTOMATION"]}`` (the Microsoft Entra Applications card);
- ``POST /_sandbox/refresh-tokens`` ``{"client_id", "tenant_id"}`` → a delegated refresh token.

A person working in Business Central:

- ``GET /_sandbox/companies``;
- ``POST /_sandbox/companies/{company}/invoices`` ``{"vendor_id", "vendor_invoice_number", "invoice_date",
  "due_date", "lines": [{"account_id", "amount", "description"}], "post": true}``;
- ``POST /_sandbox/companies/{company}/invoices/{id}/pay`` ``{"amount", "journal"}``,
  ``…/cancel``, ``…/delete`` (drafts), ``…/edit`` ``{"due_date", "memo"}``;
- ``POST /_sandbox/companies/{company}/vendors/{id}/block`` ``{"blocked": "All"}``;
- ``POST /_sandbox/companies/{company}/posting-range`` ``{"from", "to"}``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Callable

from fastapi import APIRouter, Request
from starlette.responses import Response

from ...core import ControlError, control_router
from ...core.control import error_response, json_body
from .. import errors
from ..models import BusinessCentralState
from .common import error_response as bc_error_response
from .common import json_response


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _only(body: dict, *names: str) -> dict:
    unknown = set(body) - set(names)
    if unknown:
        raise ControlError(f"unknown keys: {sorted(unknown)}")
    return body


def build_control_router(state: BusinessCentralState) -> APIRouter:
    router = APIRouter()
    router.include_router(control_router(lambda request: state))
    ui = APIRouter(prefix="/_sandbox")

    async def act(request: Request, action: Callable[[dict], Any], status: int = 200) -> Response:
        try:
            result = action(await json_body(request))
        except errors.BCError as error:
            return bc_error_response(error, "")
        except (ControlError, ValueError, TypeError, KeyError) as exc:
            return error_response(str(exc) or exc.__class__.__name__)
        return json_response(status, result if isinstance(result, dict) else {"ok": True})

    @ui.post("/tenants")
    async def tenants(request: Request) -> Response:
        return await act(request, lambda b: {"tenant_id": state.create_tenant(_only(b, "domain").get("domain"))}, 201)

    @ui.post("/tenants/{tenant}/environments")
    async def environments(request: Request, tenant: str) -> Response:
        def run(body: dict) -> dict:
            _only(body, "name", "type")
            return {"environment": state.create_environment(tenant, body.get("name", "production"),
                                                            body.get("type", "Production"))}
        return await act(request, run, 201)

    @ui.post("/tenants/{tenant}/environments/{env}/companies")
    async def companies_create(request: Request, tenant: str, env: str) -> Response:
        def run(body: dict) -> dict:
            _only(body, "name", "vendors")
            return {"company_id": state.create_company(tenant, env, body.get("name"),
                                                       vendors=int(body.get("vendors", 5)))}
        return await act(request, run, 201)

    @ui.post("/tenants/{tenant}/apps")
    async def apps(request: Request, tenant: str) -> Response:
        def run(body: dict) -> dict:
            _only(body, "display_name", "consent")
            if tenant not in state.tenants:
                raise KeyError(f"unknown tenant {tenant}")
            client_id, secret = state.register_app(tenant, body.get("display_name", "billpay"),
                                                   consent=bool(body.get("consent", False)))
            return {"client_id": client_id, "client_secret": secret}
        return await act(request, run, 201)

    @ui.post("/apps/{client_id}/consent")
    async def consent(request: Request, client_id: str) -> Response:
        def run(body: dict) -> dict:
            roles = tuple(_only(body, "roles").get("roles", ["API.ReadWrite.All"]))
            state.grant_consent(client_id, roles)
            return {"client_id": client_id, "roles": list(roles)}
        return await act(request, run)

    @ui.post("/apps/{client_id}/secrets")
    async def secrets(request: Request, client_id: str) -> Response:
        def run(body: dict) -> dict:
            with state.lock:
                value = state.directory.add_secret(client_id)
                state.save()
            return {"client_secret": value}
        return await act(request, run, 201)

    @ui.put("/tenants/{tenant}/environments/{env}/entra-applications/{client_id}")
    async def card(request: Request, tenant: str, env: str, client_id: str) -> Response:
        def run(body: dict) -> dict:
            _only(body, "state", "permission_sets", "description")
            if client_id not in state.directory.apps:
                raise KeyError(f"no app registration with client id {client_id}")
            return state.set_bc_app(tenant, env, client_id, state=body.get("state", "Enabled"),
                                    permission_sets=tuple(body.get("permission_sets", ["D365 AUTOMATION"])),
                                    description=body.get("description", "billpay"))
        return await act(request, run)

    @ui.delete("/tenants/{tenant}/environments/{env}/entra-applications/{client_id}")
    async def card_delete(request: Request, tenant: str, env: str, client_id: str) -> Response:
        return await act(request, lambda b: state.remove_bc_app(tenant, env, client_id))

    @ui.post("/refresh-tokens")
    async def refresh_tokens(request: Request) -> Response:
        def run(body: dict) -> dict:
            _only(body, "client_id", "tenant_id")
            return {"refresh_token": state.issue_refresh_token(str(body["client_id"]), str(body["tenant_id"]))}
        return await act(request, run, 201)

    @ui.get("/companies")
    async def companies(request: Request) -> Response:
        with state.lock:
            rows = [{"tenant_id": t.id, "environment": e.name, "company_id": c.id, "name": c.name}
                    for t in state.tenants.values() for e in t.environments.values() for c in e.companies.values()]
        return json_response(200, {"companies": rows})

    @ui.post("/companies/{company_id}/invoices")
    async def invoice(request: Request, company_id: str) -> Response:
        def run(body: dict) -> dict:
            _only(body, "vendor_id", "vendor_invoice_number", "invoice_date", "due_date", "lines", "post",
                  "currency")
            lines = [(str(ln["account_id"]), Decimal(str(ln["amount"])), str(ln.get("description", "")))
                     for ln in body.get("lines", [])]
            created = state.create_invoice(company_id, str(body["vendor_id"]), lines,
                                           invoice_date=_date(body.get("invoice_date")),
                                           vendor_invoice_number=str(body["vendor_invoice_number"]),
                                           due_date=_date(body.get("due_date")), currency=body.get("currency"),
                                           post=bool(body.get("post", True)))
            return {"id": created["id"], "number": created["number"], "status": created["status"]}
        return await act(request, run, 201)

    @ui.post("/companies/{company_id}/invoices/{invoice_id}/pay")
    async def pay(request: Request, company_id: str, invoice_id: str) -> Response:
        def run(body: dict) -> dict:
            _only(body, "amount", "journal")
            amount = Decimal(str(body["amount"])) if body.get("amount") is not None else None
            number = state.pay_invoice(company_id, invoice_id, amount=amount,
                                       journal_code=body.get("journal", "MANUAL"))
            return {"document_number": number}
        return await act(request, run)

    @ui.post("/companies/{company_id}/invoices/{invoice_id}/cancel")
    async def cancel(request: Request, company_id: str, invoice_id: str) -> Response:
        return await act(request, lambda b: {"credit_memo_id": state.cancel_invoice(company_id, invoice_id)["id"]})

    @ui.post("/companies/{company_id}/invoices/{invoice_id}/delete")
    async def delete(request: Request, company_id: str, invoice_id: str) -> Response:
        return await act(request, lambda b: state.delete_draft(company_id, invoice_id))

    @ui.post("/companies/{company_id}/invoices/{invoice_id}/edit")
    async def edit(request: Request, company_id: str, invoice_id: str) -> Response:
        def run(body: dict) -> dict:
            _only(body, "due_date", "memo")
            state.edit_invoice(company_id, invoice_id, due_date=_date(body.get("due_date")), memo=body.get("memo"))
            return {"ok": True}
        return await act(request, run)

    @ui.post("/companies/{company_id}/vendors/{vendor_id}/block")
    async def block(request: Request, company_id: str, vendor_id: str) -> Response:
        def run(body: dict) -> dict:
            state.block_vendor(company_id, vendor_id, _only(body, "blocked").get("blocked", "All"))
            return {"ok": True}
        return await act(request, run)

    @ui.post("/companies/{company_id}/posting-range")
    async def posting_range(request: Request, company_id: str) -> Response:
        def run(body: dict) -> dict:
            _only(body, "from", "to")
            state.set_posting_range(company_id, _date(body.get("from")), _date(body.get("to")))
            return {"ok": True}
        return await act(request, run)

    router.include_router(ui)
    return router
