"""OAuth 2.0 / OpenID endpoints shaped like Intuit's.

``GET /.well-known/openid_configuration`` is the discovery document
(``intuitlib.client.AuthClient`` accepts its URL verbatim as ``environment``);
``/connect/oauth2`` is the consent page; ``/oauth2/v1/tokens/bearer`` the token
endpoint (HTTP Basic client auth); ``/v2/oauth2/tokens/revoke`` revocation.
Every URL is built from the URL the sandbox is reached at, so it works when
mounted under a prefix.
"""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.responses import Response

from ...core import sandbox_base_url
from ..errors import AuthFault
from ..models import QuickBooksState, UnknownCompany
from ..oauth import ACCOUNTING_SCOPE, OAuthError
from .common import new_tid

TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
AUTHORIZE_PATH = "/connect/oauth2"
USERINFO_PATH = "/v1/openid_connect/userinfo"
JWKS_PATH = "/op/v1/jwks"


def discovery_document(base: str) -> dict:
    return {
        "issuer": f"{base}/op/v1",
        "authorization_endpoint": f"{base}{AUTHORIZE_PATH}",
        "token_endpoint": f"{base}{TOKEN_PATH}",
        "userinfo_endpoint": f"{base}{USERINFO_PATH}",
        "revocation_endpoint": f"{base}{REVOKE_PATH}",
        "jwks_uri": f"{base}{JWKS_PATH}",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone", ACCOUNTING_SCOPE],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


async def _form(request: Request) -> dict[str, str]:
    raw = (await request.body()).decode("utf-8", "replace")
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(raw, keep_blank_values=True))


def _with_params(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:40em;margin:3em auto}}"
        "button{font-size:1em;padding:.5em 1.5em;margin-right:1em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


def build_oauth_router(state: QuickBooksState) -> APIRouter:
    router = APIRouter()

    def record(request: Request, kind: str, status: int) -> None:
        state.requests.record(method=request.method, kind=kind, status=status, at=state.now(), api=False)

    @router.get("/.well-known/openid_configuration")
    @router.get("/.well-known/openid_configuration/")
    @router.get("/.well-known/openid_sandbox_configuration")
    @router.get("/.well-known/openid_sandbox_configuration/")
    async def discovery(request: Request) -> JSONResponse:
        return JSONResponse(discovery_document(sandbox_base_url(request)))

    @router.get(JWKS_PATH)
    async def jwks() -> JSONResponse:
        return JSONResponse({"keys": []})

    @router.get(AUTHORIZE_PATH)
    async def authorize_page(request: Request) -> Response:
        params = request.query_params
        client = state.tokens.client(params.get("client_id"))
        redirect_uri = params.get("redirect_uri", "")
        if client is None:
            return _page("Invalid request", "<p>Unknown client_id.</p>", 400)
        if not state.tokens.redirect_allowed(client, redirect_uri):
            return _page("Invalid request", "<p>The redirect_uri is not registered for this app.</p>", 400)
        back = {"state": params.get("state", "")}
        if params.get("response_type") != "code":
            return RedirectResponse(
                _with_params(redirect_uri, {"error": "unsupported_response_type", **back}), 302
            )
        scope = params.get("scope", "")
        if ACCOUNTING_SCOPE not in scope.split():
            return RedirectResponse(_with_params(redirect_uri, {"error": "invalid_scope", **back}), 302)
        realms = [r for r in state.realm_ids() if state.tokens.realm_allowed(client, r)]
        if not realms:
            return _page(
                "No company", "<p>This sandbox has no company yet. POST /_sandbox/seed first.</p>", 409
            )
        chosen = params.get("realmId") or realms[0]
        options = "".join(
            f"<option value='{html.escape(r)}'{' selected' if r == chosen else ''}>"
            f"{html.escape(state.company(r).name)} ({html.escape(r)})</option>"
            for r in realms
        )
        hidden = "".join(
            f"<input type='hidden' name='{name}' value='{html.escape(params.get(name, ''), quote=True)}'>"
            for name in ("client_id", "redirect_uri", "scope", "state")
        )
        body = (
            f"<p><b>{html.escape(client.name)}</b> wants to connect to your QuickBooks company.</p>"
            f"<form method='post' action='{html.escape(sandbox_base_url(request) + AUTHORIZE_PATH)}'>{hidden}"
            f"<p><label>Company <select name='realm_id'>{options}</select></label></p>"
            "<button type='submit' name='decision' value='allow'>Connect</button>"
            "<button type='submit' name='decision' value='deny'>Cancel</button></form>"
        )
        return _page("Connect to QuickBooks (sandbox)", body)

    @router.post(AUTHORIZE_PATH)
    async def authorize_submit(request: Request) -> Response:
        form = await _form(request)
        client = state.tokens.client(form.get("client_id"))
        redirect_uri = form.get("redirect_uri", "")
        if client is None or not state.tokens.redirect_allowed(client, redirect_uri):
            return _page("Invalid request", "<p>Unknown client or redirect_uri.</p>", 400)
        back = {"state": form.get("state", "")}
        if form.get("decision") != "allow":
            return RedirectResponse(_with_params(redirect_uri, {"error": "access_denied", **back}), 302)
        try:
            code = state.authorize(
                client.client_id, redirect_uri, form.get("scope", ""), form.get("realm_id", "")
            )
        except UnknownCompany:
            return _page("Invalid request", "<p>Unknown company.</p>", 400)
        except OAuthError as exc:
            return _page("Invalid request", f"<p>{html.escape(exc.description or exc.error)}</p>", 400)
        realm = form.get("realm_id", "")
        return RedirectResponse(_with_params(redirect_uri, {"code": code, **back, "realmId": realm}), 302)

    @router.post(TOKEN_PATH)
    async def token(request: Request) -> JSONResponse:
        form = await _form(request)
        client_id, secret = _client_credentials(request, form)
        headers = {"intuit_tid": new_tid(), "Cache-Control": "no-store", "Pragma": "no-cache"}
        try:
            body = state.token_grant(client_id, secret, form)
            status = 200
        except OAuthError as exc:
            body, status = exc.body(), exc.status
        record(request, TOKEN_PATH, status)
        return JSONResponse(body, status_code=status, headers=headers)

    @router.post(REVOKE_PATH)
    async def revoke(request: Request) -> Response:
        form = await _form(request)
        client_id, secret = _client_credentials(request, form)
        headers = {"intuit_tid": new_tid()}
        try:
            state.revoke_token(client_id, secret, form.get("token"))
        except OAuthError as exc:
            record(request, REVOKE_PATH, exc.status)
            return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
        record(request, REVOKE_PATH, 200)
        return Response(status_code=200, headers=headers)

    @router.get(USERINFO_PATH)
    async def userinfo(request: Request) -> JSONResponse:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        try:
            grant = state.authenticate(token.strip() if scheme.lower() == "bearer" else None)
        except AuthFault:  # the userinfo endpoint answers a plain OAuth 401
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(
            {
                "sub": grant.grant_id,
                "email": "sandbox.admin@example.com",
                "emailVerified": True,
                "givenName": "Sandbox",
                "familyName": "Admin",
                "realmid": grant.realm_id,
            }
        )

    return router
