"""``create_app(state)``: SuiteTalk REST web services of the NetSuite sandbox as one ASGI app.

- ``/services/rest/record/v1/{type}[/{id}|/eid:{externalId}[/{sublist}]]`` — GET (``expandSubResources``,
  ``fields``), POST → 204 + ``Location``, PATCH (``replace``), PUT ``eid:`` upsert, DELETE, and collection
  listing with ``limit``/``offset``/``q``.
- ``/services/rest/query/v1/suiteql`` — SuiteQL (``Prefer: transient``), absolute ``next`` links.
- ``/services/rest/auth/oauth2/v1/token`` — OAuth 2.0 client credentials with a JWT assertion.
- ``/_sandbox/...`` — the shared control plane and the NetSuite UI helpers (``control.py``).

Every API call takes the same path (``ApiPipeline``): sign-in (TBA or bearer), injected faults, the
account's concurrency governor (429 ``CONCURRENCY_LIMIT_EXCEEDED`` above the limit in flight), latency,
the operation, "timeout after commit" for writes, and the request log. Absolute URLs and the TBA
signature base URL use the address the client used (``X-Forwarded-Proto``/``X-Forwarded-Host`` when a
proxy sets them, else the ``Host`` header), including the prefix the app is mounted under.
"""

from __future__ import annotations

import email.utils
import urllib.parse
from typing import Any, Awaitable, Callable

import anyio
from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from ..core import wirejson, withhold_committed_response
from . import auth, errors, records, suiteql
from .control import build_control_router
from .models import MAX_PAGE, MAX_RESULTS, NetSuiteState

REST = "/services/rest"
SINGULAR = "application/vnd.oracle.resource+json; type=singular"
COLLECTION = "application/vnd.oracle.resource+json; type=collection"
ERROR_TYPE = "application/vnd.oracle.resource+json; type=error"

Work = Callable[[str], Awaitable[Response]]


def public_base(request: Request) -> str:
    """``scheme://host`` + mount prefix as the client addressed this app."""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip() or request.url.scheme
    host = request.headers.get("x-forwarded-host", "").split(",")[0].strip() or request.headers.get("host") \
        or request.url.netloc
    return auth.base_url(proto, host, request.scope.get("root_path", "") or "").rstrip("/")


def signature_url(request: Request) -> str:
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip() or request.url.scheme
    host = request.headers.get("x-forwarded-host", "").split(",")[0].strip() or request.headers.get("host") \
        or request.url.netloc
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.url.path
    root = request.scope.get("root_path", "") or ""
    if root and not path.startswith(root):
        path = root + path
    return auth.base_url(proto, host, path)


def json_response(state: NetSuiteState, status: int, body: Any, media: str = SINGULAR,
                  headers: dict[str, str] | None = None) -> Response:
    return Response(wirejson.dumps(body), status_code=status, media_type=media,
                    headers={"Date": email.utils.format_datetime(state.now(), usegmt=True), **(headers or {})})


def empty_response(state: NetSuiteState, location: str | None = None) -> Response:
    headers = {"Date": email.utils.format_datetime(state.now(), usegmt=True)}
    if location:
        headers["Location"] = location
    return Response(status_code=204, headers=headers)


def error_response(state: NetSuiteState, error: errors.NsError) -> Response:
    return json_response(state, error.status, error.body(), ERROR_TYPE, error.headers)


def injected(status: int) -> errors.NsError:
    if status == 429:
        return errors.concurrency_limit()
    if status == 401:
        return errors.invalid_login("fault injected by the sandbox")
    if status == 400:
        return errors.user_error("Fault injected by the sandbox.")
    return errors.unexpected(status)


class ApiPipeline:
    def __init__(self, state: NetSuiteState) -> None:
        self.state = state

    async def run(self, request: Request, kind: str, work: Work, *, write: bool = False) -> Response:
        state = self.state
        account: str | None = None
        try:
            body = await request.body()
            grant = state.authenticate(request.headers.get("authorization", ""), method=request.method,
                                       base_url=signature_url(request),
                                       query=list(request.query_params.multi_items()), body=body)
            account = grant.account_id
            if state.faults.take_throttle():
                raise errors.concurrency_limit()
            failure = state.faults.take_failure()
            if failure is not None:
                raise injected(failure)
            if state.limiter.try_enter(account, state.now()) is not None:
                raise errors.concurrency_limit()
            try:
                latency = state.faults.latency_seconds
                if latency:
                    await anyio.sleep(latency)
                response = await work(account)
            finally:
                state.limiter.leave(account)
            if write and response.status_code < 300 and state.faults.take_timeout_after_commit():
                response = await withhold_committed_response(request.scope, response, state.faults.hang_seconds)
        except errors.NsError as error:
            response = error_response(state, error)
        state.requests.record(method=request.method, kind=kind, status=response.status_code, at=state.now(),
                              realm=account)
        return response


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise errors.invalid_content("The request body is empty.")
    try:
        return wirejson.loads(raw)
    except ValueError:
        raise errors.invalid_content("The request body is not valid JSON.") from None


def paging(request: Request) -> tuple[int, int]:
    try:
        limit = int(request.query_params.get("limit", MAX_PAGE))
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        raise errors.invalid_request("limit and offset must be integers.", query_param="limit") from None
    if not 1 <= limit <= MAX_PAGE:
        raise errors.invalid_request(f"The limit must be between 1 and {MAX_PAGE}.", query_param="limit")
    if offset < 0 or offset % limit:
        raise errors.invalid_request("The offset must be a non-negative multiple of the limit.",
                                     query_param="offset")
    return limit, offset


def create_app(state: NetSuiteState | None = None) -> FastAPI:
    state = state if state is not None else NetSuiteState()
    app = FastAPI(title="NetSuite sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.netsuite = state
    pipeline = ApiPipeline(state)
    app.include_router(build_control_router(state))

    def renderer(request: Request, account: str) -> records.Renderer:
        return records.Renderer(public_base(request),
                                lambda rtype, rid: state.name_of(account, rtype, rid))

    def location(request: Request, rtype: str, rid: str) -> str:
        return f"{public_base(request)}{REST}/record/v1/{rtype.lower()}/{rid}"

    def replace_of(request: Request) -> set[str]:
        return {p.strip().lower() for p in request.query_params.get("replace", "").split(",") if p.strip()}

    def strict(request: Request) -> bool:
        return request.headers.get("x-netsuite-propertynamevalidation", "").lower() == "error"

    @app.get("/")
    async def index(request: Request) -> JSONResponse:
        return JSONResponse({"platform": "netsuite", "rest": public_base(request) + REST,
                             "accounts": state.account_ids()})

    @app.post(REST + "/auth/oauth2/v1/token")
    async def token(request: Request) -> Response:
        form = dict(urllib.parse.parse_qsl((await request.body()).decode("utf-8", "replace")))
        try:
            answer = state.token_grant(form, signature_url(request))
        except auth.OAuthError as error:
            state.requests.record(method="POST", kind="/auth/oauth2/v1/token", status=error.status,
                                  at=state.now(), api=False)
            return JSONResponse(error.body(), status_code=error.status)
        state.requests.record(method="POST", kind="/auth/oauth2/v1/token", status=200, at=state.now(), api=False)
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    @app.post(REST + "/query/v1/suiteql")
    async def query(request: Request) -> Response:
        async def work(account: str) -> Response:
            if "transient" not in request.headers.get("prefer", "").lower():
                raise errors.invalid_request("SuiteQL requests need the header Prefer: transient.")
            limit, offset = paging(request)
            body = await read_json(request)
            if not isinstance(body, dict) or "q" not in body:
                raise errors.invalid_content("The body must be {\"q\": \"<SuiteQL query>\"}.", path="q")
            rows = state.suiteql(account, body["q"], body.get("params"))
            total = min(len(rows), MAX_RESULTS)
            page = rows[offset:min(offset + limit, total)]
            base = public_base(request) + REST + "/query/v1/suiteql"
            return json_response(state, 200, {
                "links": suiteql.page_links(base, limit, offset, total), "count": len(page),
                "hasMore": offset + limit < total, "items": [suiteql.render_row(r) for r in page],
                "offset": offset, "totalResults": total}, COLLECTION)

        return await pipeline.run(request, "/query/v1/suiteql", work)

    @app.get(REST + "/record/v1/{rtype}")
    async def listing(request: Request, rtype: str) -> Response:
        async def work(account: str) -> Response:
            limit, offset = paging(request)
            canonical, ids = state.listing(account, rtype, request.query_params.get("q"))
            page = ids[offset:offset + limit]
            r = renderer(request, account)
            base = f"{public_base(request)}{REST}/record/v1/{canonical.lower()}"
            return json_response(state, 200, {
                "links": suiteql.page_links(base, limit, offset, len(ids)), "count": len(page),
                "hasMore": offset + limit < len(ids),
                "items": [{"links": [{"rel": "self", "href": r.href(canonical, rid)}], "id": rid} for rid in page],
                "offset": offset, "totalResults": len(ids)}, COLLECTION)

        return await pipeline.run(request, f"/record/{rtype.lower()}", work)

    @app.post(REST + "/record/v1/{rtype}")
    async def create(request: Request, rtype: str) -> Response:
        async def work(account: str) -> Response:
            canonical, rid = state.write(account, rtype, None, await read_json(request), method="POST",
                                         replace=replace_of(request), strict_names=strict(request))
            return empty_response(state, location(request, canonical, rid))

        return await pipeline.run(request, f"/record/{rtype.lower()}", work, write=True)

    @app.get(REST + "/record/v1/{rtype}/{key}")
    async def read(request: Request, rtype: str, key: str) -> Response:
        async def work(account: str) -> Response:
            canonical, record = state.read(account, rtype, key)
            expand = request.query_params.get("expandSubResources", "").lower() == "true"
            fields = request.query_params.get("fields")
            wanted = {f.strip().lower() for f in fields.split(",")} if fields else None
            return json_response(state, 200, renderer(request, account).record(canonical, record, expand=expand,
                                                                               fields=wanted))

        return await pipeline.run(request, f"/record/{rtype.lower()}/{{id}}", work)

    @app.get(REST + "/record/v1/{rtype}/{key}/{sublist}")
    async def read_sublist(request: Request, rtype: str, key: str, sublist: str) -> Response:
        async def work(account: str) -> Response:
            canonical, record = state.read(account, rtype, key)
            schema = records.SCHEMAS[canonical]
            name = next((f for f in schema if f.lower() == sublist.lower() and schema[f].startswith("sublist:")),
                        None)
            if name is None:
                raise errors.invalid_request(f"{sublist} is not a sublist of {canonical}.")
            r = renderer(request, account)
            rendered = r.record(canonical, record, expand=True)[name]
            return json_response(state, 200, rendered, COLLECTION)

        return await pipeline.run(request, f"/record/{rtype.lower()}/{{id}}/{sublist.lower()}", work)

    @app.patch(REST + "/record/v1/{rtype}/{key}")
    async def patch(request: Request, rtype: str, key: str) -> Response:
        async def work(account: str) -> Response:
            canonical, rid = state.write(account, rtype, key, await read_json(request), method="PATCH",
                                         replace=replace_of(request), strict_names=strict(request))
            return empty_response(state, location(request, canonical, rid))

        return await pipeline.run(request, f"/record/{rtype.lower()}/{{id}}", work, write=True)

    @app.put(REST + "/record/v1/{rtype}/{key}")
    async def upsert(request: Request, rtype: str, key: str) -> Response:
        async def work(account: str) -> Response:
            canonical, rid = state.write(account, rtype, key, await read_json(request), method="PUT",
                                         replace=replace_of(request), strict_names=strict(request))
            return empty_response(state, location(request, canonical, rid))

        return await pipeline.run(request, f"/record/{rtype.lower()}/eid", work, write=True)

    @app.delete(REST + "/record/v1/{rtype}/{key}")
    async def delete(request: Request, rtype: str, key: str) -> Response:
        async def work(account: str) -> Response:
            state.remove(account, rtype, key)
            return empty_response(state)

        return await pipeline.run(request, f"/record/{rtype.lower()}/{{id}}", work, write=True)

    return app
