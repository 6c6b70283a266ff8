"""QuickBooks-specific control endpoints, next to the shared ``/_sandbox/`` plane.

These play the part of a person using QuickBooks itself, for tests and demos:

- ``GET  /_sandbox/companies`` — realms and names.
- ``POST /_sandbox/companies/{realm}/settings`` — e.g. ``{"book_close_date": "2024-12-31"}``.
- ``GET  /_sandbox/companies/{realm}/{entity}/{id}`` — read without OAuth.
- ``POST /_sandbox/companies/{realm}/bills/{id}/pay`` — optional
  ``{"amount", "pay_type", "account_id", "txn_date"}``.
- ``POST /_sandbox/companies/{realm}/bills/{id}/delete``
- ``POST /_sandbox/companies/{realm}/bills/{id}/memo`` — ``{"memo": "..."}``.
- ``POST /_sandbox/companies/{realm}/{entity}/{id}/edit`` — a sparse change, e.g. ``{"Active": false}``.
- ``POST /_sandbox/companies/{realm}/{entity}/{id}/touch`` — SyncToken + 1, content unchanged.
- ``POST /_sandbox/clients`` — ``{"redirect_uris": [...]}`` → new app credentials.
- ``POST /_sandbox/tokens`` — ``{"client_id", "realm_id"}`` → a token response, skipping consent.
- ``GET  /_sandbox/oauth/callback`` — a page that shows ``code``, ``realmId`` and ``state``.
"""

from __future__ import annotations

import html
from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from ...core import ControlError, control_router
from ...core.control import error_response, json_body
from .. import errors
from ..models import QuickBooksState, UnknownCompany
from .common import qbo_response


def build_control_router(state: QuickBooksState) -> APIRouter:
    router = APIRouter()
    router.include_router(control_router(lambda request: state))
    ui = APIRouter(prefix="/_sandbox")

    async def act(request: Request, action: Callable[[dict], Any]) -> Response:
        try:
            result = action(await json_body(request))
        except UnknownCompany as exc:
            return error_response(f"unknown company {exc.args[0]}", 404)
        except errors.QBOFault as fault:
            return qbo_response(fault.status, fault.body(state.response_time()))
        except (ControlError, ValueError, TypeError, KeyError, StopIteration) as exc:
            return error_response(str(exc) or exc.__class__.__name__)
        return qbo_response(200, result if isinstance(result, dict) else {"ok": True, "result": result})

    @ui.get("/companies")
    async def companies() -> Response:
        return qbo_response(
            200, {"companies": [{"realm_id": r, "name": state.company(r).name} for r in state.realm_ids()]}
        )

    @ui.post("/companies/{realm_id}/settings")
    async def settings(request: Request, realm_id: str) -> Response:
        return await act(request, lambda body: {"Preferences": state.set_company_settings(realm_id, **body)})

    @ui.get("/companies/{realm_id}/{entity}/{entity_id}")
    async def read(request: Request, realm_id: str, entity: str, entity_id: str) -> Response:
        def get(_: dict) -> dict:
            found = state.get_entity(realm_id, entity, entity_id)
            if found is None:
                raise errors.object_not_found(entity)
            return {"entity": found}

        return await act(request, get)

    @ui.post("/companies/{realm_id}/bills/{bill_id}/pay")
    async def pay(request: Request, realm_id: str, bill_id: str) -> Response:
        def run(body: dict) -> dict:
            unknown = set(body) - {"amount", "pay_type", "account_id", "txn_date"}
            if unknown:
                raise ControlError(f"unknown keys: {sorted(unknown)}")
            return {"BillPayment": state.pay_bill_elsewhere(realm_id, bill_id, **body)}

        return await act(request, run)

    @ui.post("/companies/{realm_id}/bills/{bill_id}/delete")
    async def delete(request: Request, realm_id: str, bill_id: str) -> Response:
        return await act(request, lambda _: state.delete_bill(realm_id, bill_id))

    @ui.post("/companies/{realm_id}/bills/{bill_id}/memo")
    async def memo(request: Request, realm_id: str, bill_id: str) -> Response:
        return await act(
            request, lambda body: {"Bill": state.set_bill_memo(realm_id, bill_id, str(body.get("memo", "")))}
        )

    @ui.post("/companies/{realm_id}/{entity}/{entity_id}/edit")
    async def edit(request: Request, realm_id: str, entity: str, entity_id: str) -> Response:
        return await act(
            request, lambda body: {"entity": state.edit_as_user(realm_id, entity, entity_id, body)}
        )

    @ui.post("/companies/{realm_id}/{entity}/{entity_id}/touch")
    async def touch(request: Request, realm_id: str, entity: str, entity_id: str) -> Response:
        return await act(request, lambda _: {"entity": state.touch(realm_id, entity, entity_id)})

    @ui.post("/clients")
    async def clients(request: Request) -> Response:
        def run(body: dict) -> dict:
            client_id, secret = state.register_client(body.get("redirect_uris"))
            return {"client_id": client_id, "client_secret": secret}

        return await act(request, run)

    @ui.post("/tokens")
    async def tokens(request: Request) -> Response:
        return await act(
            request, lambda body: state.issue_tokens(str(body["client_id"]), str(body["realm_id"]))
        )

    @ui.get("/oauth/callback")
    async def callback(request: Request) -> HTMLResponse:
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(v)}</code></td></tr>"
            for k, v in request.query_params.items()
        )
        return HTMLResponse(
            "<!doctype html><html><head><meta charset='utf-8'><title>Connected</title></head><body>"
            f"<h1>QuickBooks sandbox callback</h1><table>{rows}</table></body></html>"
        )

    router.include_router(ui)
    return router
