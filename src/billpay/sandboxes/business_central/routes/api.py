"""``/v2.0/[{tenant}/]{environment}/api/v2.0/…``: the Business Central API v2.0 routes."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import batch as batch_ops
from .. import errors
from ..api import WRITE_METHODS, Api, ApiRequest, ApiResponse
from ..identity import Principal, TokenProblem
from ..models import BusinessCentralState, Environment
from ..render import metadata_xml
from .common import ApiPipeline, bearer_token, client_base, error_response, json_response, read_json

_KEY = re.compile(r"\([^)]*\)")


def _split(rest: str) -> tuple[str | None, str, str] | None:
    """``[tenant/]environment/api/v2.0/tail`` -> (tenant, environment, tail)."""
    parts = rest.split("/")
    for i in range(len(parts) - 1):
        if parts[i] == "api" and parts[i + 1] == "v2.0":
            head, tail = parts[:i], "/".join(parts[i + 2:])
            if len(head) == 1:
                return None, head[0], tail
            if len(head) == 2:
                return head[0], head[1], tail
            return None
    return None


def _kind(tail: str) -> str:
    """``companies(x)/purchaseInvoices(y)/Microsoft.NAV.post`` -> ``/purchaseInvoices({id})/Microsoft.NAV.post``."""
    tail = re.sub(r"^companies\([^)]*\)/?", "", tail)
    return "/" + _KEY.sub("({id})", tail)


def build_api_router(state: BusinessCentralState) -> APIRouter:
    router = APIRouter()
    pipeline = ApiPipeline(state)

    def api_for(env: Environment) -> Api:
        return Api(env.companies, now=state.now, today=state.today, page_size=state.page_size,
                   take_stale=state.faults.take_stale)

    @router.api_route("/v2.0/{rest:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def api(request: Request, rest: str) -> Response:
        split = _split(rest)
        base = client_base(request)
        if split is None:
            return error_response(errors.no_resource(str(request.url)), "")
        tenant, environment, tail = split
        root = f"{base}/v2.0/" + (f"{tenant}/" if tenant else "") + f"{environment}/api/v2.0"
        try:
            body = await read_json(request) if request.method in ("POST", "PATCH", "PUT") else None
        except errors.BCError as error:
            return error_response(error, "")
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"}
        params = list(request.query_params.multi_items())
        method = request.method.upper()

        if tail == "$metadata":
            def metadata(principal: Principal, env: Environment) -> tuple[ApiResponse, bool]:
                return ApiResponse(200, metadata_xml(), content_type="application/xml"), False

            return await pipeline.run(request, tenant=tenant, environment=environment, write=False,
                                      kind="/$metadata", work=metadata)

        if tail == "$batch":
            operations = body.get("requests") if isinstance(body, dict) else None
            write = any(isinstance(op, dict) and str(op.get("method", "")).upper() in WRITE_METHODS
                        for op in operations or [])

            def run_batch(principal: Principal, env: Environment) -> tuple[ApiResponse, bool]:
                answer, wrote = batch_ops.run(api_for(env), ApiRequest(method, "$batch", params, headers, body, root))
                return ApiResponse(200, answer), wrote

            return await pipeline.run(request, tenant=tenant, environment=environment, write=write,
                                      kind="/$batch", work=run_batch)

        def work(principal: Principal, env: Environment) -> tuple[ApiResponse, bool]:
            answer = api_for(env).handle(ApiRequest(method, tail, params, headers, body, root))
            return answer, method in WRITE_METHODS

        return await pipeline.run(request, tenant=tenant, environment=environment, write=method in WRITE_METHODS,
                                  kind=_kind(tail), work=work)

    @router.get("/environments/v1.1")
    async def environments(request: Request) -> Response:
        """The environments of the token's tenant (the admin list some clients read first)."""
        token = bearer_token(request)
        with state.lock:
            try:
                principal = state.directory.principal(token, state.now())
            except TokenProblem as problem:
                return error_response(errors.unauthorized(problem.reason), "")
            tenant = state.tenants.get(principal.tenant_id)
            rows = [{"aadTenantId": principal.tenant_id, "applicationFamily": "BusinessCentral", "type": e.type,
                     "name": e.name, "countryCode": "US", "applicationVersion": "24.0.16410.18040",
                     "status": "Active"} for e in (tenant.environments.values() if tenant else [])]
        state.requests.record(method="GET", kind="/environments", status=200, at=state.now(), api=False)
        return json_response(200, {"value": rows})

    return router
