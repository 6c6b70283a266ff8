"""NetSuite-specific control endpoints, next to the shared ``/_sandbox/`` plane.

They play the part of a person working in NetSuite itself, for tests and demos:

- ``GET  /_sandbox/accounts`` — account ids and names.
- ``POST /_sandbox/accounts/{account}/credentials`` — a new integration record + token (the connection body).
- ``POST /_sandbox/accounts/{account}/records/{type}`` — create a record as a user (REST field names).
- ``GET  /_sandbox/accounts/{account}/records/{type}/{id}`` — read without signing in.
- ``POST /_sandbox/accounts/{account}/records/{type}/{id}/edit`` — change fields (sublists replaced).
- ``POST /_sandbox/accounts/{account}/records/{type}/{id}/touch`` — save unchanged.
- ``POST /_sandbox/accounts/{account}/records/{type}/{id}/delete``
- ``POST /_sandbox/accounts/{account}/bills/{id}/pay`` — optional ``{"amount", "bank_account_id", "tran_date"}``.
- ``POST /_sandbox/accounts/{account}/revoke`` — revoke every token of the account.
"""

from __future__ import annotations

from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from ..core import ControlError, control_router, sandbox_base_url, wirejson
from ..core.control import error_response, json_body
from . import errors
from .models import NetSuiteState, UnknownAccount


def build_control_router(state: NetSuiteState) -> APIRouter:
    router = APIRouter()
    router.include_router(control_router(lambda request: state))
    ui = APIRouter(prefix="/_sandbox/accounts")

    async def act(request: Request, action: Callable[[dict], Any]) -> Response:
        try:
            result = action(await json_body(request))
        except UnknownAccount as exc:
            return error_response(f"unknown account {exc.args[0]}", 404)
        except errors.NsError as error:
            return JSONResponse(error.body(), status_code=error.status)
        except (ControlError, ValueError, TypeError, KeyError, StopIteration) as exc:
            return error_response(str(exc) or exc.__class__.__name__)
        body = result if isinstance(result, dict) else {"ok": True, "result": result}
        return Response(wirejson.dumps(body), media_type="application/json")

    @ui.get("")
    async def accounts() -> JSONResponse:
        return JSONResponse({"accounts": [{"account_id": a, "name": state.account(a).name}
                                          for a in state.account_ids()]})

    @ui.post("/{account}/credentials")
    async def credentials(request: Request, account: str) -> Response:
        return await act(request, lambda _: state.credentials(account, sandbox_base_url(request)))

    @ui.post("/{account}/records/{rtype}")
    async def create(request: Request, account: str, rtype: str) -> Response:
        return await act(request, lambda body: state.create_as_user(account, rtype, body))

    @ui.get("/{account}/records/{rtype}/{rid}")
    async def read(request: Request, account: str, rtype: str, rid: str) -> Response:
        def get(_: dict) -> dict:
            found = state.get_record(account, rtype, rid)
            if found is None:
                raise errors.nonexistent(rtype, rid)
            return found

        return await act(request, get)

    @ui.post("/{account}/records/{rtype}/{rid}/edit")
    async def edit(request: Request, account: str, rtype: str, rid: str) -> Response:
        return await act(request, lambda body: state.edit_as_user(account, rtype, rid, body))

    @ui.post("/{account}/records/{rtype}/{rid}/touch")
    async def touch(request: Request, account: str, rtype: str, rid: str) -> Response:
        return await act(request, lambda _: state.touch(account, rtype, rid))

    @ui.post("/{account}/records/{rtype}/{rid}/delete")
    async def delete(request: Request, account: str, rtype: str, rid: str) -> Response:
        return await act(request, lambda _: state.delete_record(account, rtype, rid))

    @ui.post("/{account}/bills/{bill_id}/pay")
    async def pay(request: Request, account: str, bill_id: str) -> Response:
        def run(body: dict) -> dict:
            unknown = set(body) - {"amount", "bank_account_id", "tran_date"}
            if unknown:
                raise ControlError(f"unknown keys: {sorted(unknown)}")
            return state.pay_bill_elsewhere(account, bill_id, **body)

        return await act(request, run)

    @ui.post("/{account}/revoke")
    async def revoke(request: Request, account: str) -> Response:
        return await act(request, lambda _: {"revoked": state.revoke_tokens(account)})

    router.include_router(ui)
    return router
