"""``/v3/company/{realmId}/...``: the QuickBooks Online Accounting API v3 routes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import errors, timefmt
from ..company import ENDPOINTS
from ..models import QuickBooksState
from .common import ApiPipeline, read_json

_READABLE = {**ENDPOINTS, "companyinfo": "CompanyInfo", "preferences": "Preferences"}


def _entity(endpoint: str, readable: bool = False) -> str:
    name = (_READABLE if readable else ENDPOINTS).get(endpoint.lower())
    if name is None:
        raise errors.unsupported_operation(f"Could not find resource for entity {endpoint}")
    return name


def _write_kind(endpoint: str, operation: str | None, include: str | None) -> str:
    kind = f"/{endpoint.lower()}"
    params = [f"operation={operation}"] if operation else []
    if include:
        params.append(f"include={include}")
    return kind + ("?" + "&".join(params) if params else "")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def build_api_router(state: QuickBooksState) -> APIRouter:
    router = APIRouter(prefix="/v3/company/{realm_id}")
    pipeline = ApiPipeline(state)

    @router.api_route("/query", methods=["GET", "POST"])
    async def query(request: Request, realm_id: str) -> Response:
        async def work() -> tuple[int, dict, bool]:
            if request.method == "GET":
                text = request.query_params.get("query", "")
            else:
                text = _decode(await request.body())
            return (
                200,
                {"QueryResponse": state.query(realm_id, text), "time": state.response_time(realm_id)},
                False,
            )

        return await pipeline.run(request, realm_id, "/query", work)

    @router.get("/cdc")
    async def cdc(request: Request, realm_id: str) -> Response:
        async def work() -> tuple[int, dict, bool]:
            params = request.query_params
            body = state.cdc(realm_id, params.get("entities"), params.get("changedSince"))
            return 200, {**body, "time": state.response_time(realm_id)}, False

        return await pipeline.run(request, realm_id, "/cdc", work)

    @router.post("/batch")
    async def batch(request: Request, realm_id: str) -> Response:
        async def work() -> tuple[int, dict, bool]:
            body = await read_json(request)
            return state.idempotent(
                realm_id,
                request.query_params.get("requestid"),
                lambda: state.batch(realm_id, body),
                batch=True,
            )

        return await pipeline.run(request, realm_id, "/batch", work, write=True, batch=True)

    @router.get("/exchangerate")
    async def exchange_rate(request: Request, realm_id: str) -> Response:
        async def work() -> tuple[int, dict, bool]:
            params = request.query_params
            as_of = params.get("asofdate")
            try:
                day = timefmt.parse_date(as_of) if as_of else None
            except ValueError:
                raise errors.invalid_property(f"asofdate {as_of}", element="asofdate") from None
            rate = state.exchange_rate(realm_id, params.get("sourcecurrencycode"), day)
            return 200, {"ExchangeRate": rate, "time": state.response_time(realm_id)}, False

        return await pipeline.run(request, realm_id, "/exchangerate", work)

    @router.get("/{endpoint}/{entity_id}")
    async def read(request: Request, realm_id: str, endpoint: str, entity_id: str) -> Response:
        async def work() -> tuple[int, dict, bool]:
            name = _entity(endpoint, readable=True)
            return (
                200,
                {name: state.read(realm_id, name, entity_id), "time": state.response_time(realm_id)},
                False,
            )

        return await pipeline.run(request, realm_id, f"/{endpoint.lower()}/{{id}}", work)

    @router.get("/preferences")
    async def preferences(request: Request, realm_id: str) -> Response:
        async def work() -> tuple[int, dict, bool]:
            return (
                200,
                {"Preferences": state.preferences(realm_id), "time": state.response_time(realm_id)},
                False,
            )

        return await pipeline.run(request, realm_id, "/preferences", work)

    @router.post("/{endpoint}")
    async def write(request: Request, realm_id: str, endpoint: str) -> Response:
        params = request.query_params
        operation, include = params.get("operation"), params.get("include")

        async def work() -> tuple[int, dict, bool]:
            name = _entity(endpoint)
            body = await read_json(request)

            def execute() -> dict:
                return {name: state.save(realm_id, name, body, operation=operation, include=include)}

            return state.idempotent(realm_id, params.get("requestid"), execute)

        return await pipeline.run(
            request, realm_id, _write_kind(endpoint, operation, include), work, write=True
        )

    @router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def unsupported(request: Request, realm_id: str, path: str) -> Response:
        async def work() -> tuple[int, dict, bool]:
            raise errors.unsupported_operation(f"{request.method} /{path}")

        return await pipeline.run(request, realm_id, f"/{path.split('/')[0]}", work)

    return router
