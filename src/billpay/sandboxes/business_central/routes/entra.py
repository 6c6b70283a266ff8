"""Microsoft Entra ID endpoints, shaped like ``login.microsoftonline.com``.

- ``GET /common/discovery/instance`` — instance discovery (``tenant_discovery_endpoint`` and the
  cloud's host aliases);
- ``GET /{tenant}/v2.0/.well-known/openid-configuration`` — the OpenID document; its endpoints are
  ``https`` URLs on the authority host: the address the client used when it came over https
  (a TLS reverse proxy sets ``X-Forwarded-Proto``), otherwise ``https://login.microsoftonline.com``,
  the host a client redirects to this sandbox (``msal`` accepts nothing but https authorities);
- ``POST /{tenant}/oauth2/v2.0/token`` — client credentials (form fields or HTTP Basic) and the
  delegated refresh-token grant; errors in Entra's shape with AADSTS numbers;
- ``GET /{tenant}/discovery/v2.0/keys`` — the key set document.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..errors import EntraError
from ..models import BusinessCentralState
from .common import client_base

ENTRA_HOST = "login.microsoftonline.com"


def authority_base(request: Request) -> str:
    base = client_base(request)
    return base if base.startswith("https://") else f"https://{ENTRA_HOST}"


def openid_document(authority: str, tenant: str) -> dict:
    root = f"{authority}/{tenant}"
    return {
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"https://{ENTRA_HOST}/{tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id"), form.get("client_secret")


def build_entra_router(state: BusinessCentralState) -> APIRouter:
    router = APIRouter()

    def record(request: Request, kind: str, status: int) -> None:
        state.requests.record(method=request.method, kind=kind, status=status, at=state.now(), api=False)

    def known(tenant: str) -> str | None:
        with state.lock:
            if tenant in state.tenants:
                return tenant
            return next((t.id for t in state.tenants.values() if t.domain == tenant), None)

    @router.get("/common/discovery/instance")
    @router.get("/organizations/discovery/instance")
    async def instance_discovery(request: Request) -> JSONResponse:
        endpoint = request.query_params.get("authorization_endpoint", "")
        tenant = "common"
        marker = f"{ENTRA_HOST}/"
        if marker in endpoint:
            tenant = endpoint.split(marker, 1)[1].split("/", 1)[0] or "common"
        record(request, "/discovery/instance", 200)
        authority = authority_base(request)
        return JSONResponse({
            "tenant_discovery_endpoint": f"{authority}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": ENTRA_HOST, "preferred_cache": "login.windows.net",
                          "aliases": [ENTRA_HOST, "login.windows.net", "login.microsoft.com", "sts.windows.net"]}],
        })

    @router.get("/{tenant}/v2.0/.well-known/openid-configuration")
    @router.get("/{tenant}/.well-known/openid-configuration")
    async def openid_configuration(request: Request, tenant: str) -> JSONResponse:
        if tenant not in ("common", "organizations") and known(tenant) is None:
            error = EntraError("invalid_tenant", 90002, f"Tenant '{tenant}' not found. Check to make sure you have "
                               "the correct tenant ID and are signing into the correct cloud.")
            record(request, "/openid-configuration", 400)
            return JSONResponse(error.body(state.now()), status_code=400)
        record(request, "/openid-configuration", 200)
        return JSONResponse(openid_document(authority_base(request), known(tenant) or tenant))

    @router.get("/{tenant}/discovery/v2.0/keys")
    async def keys(request: Request, tenant: str) -> JSONResponse:
        return JSONResponse({"keys": []})

    @router.post("/{tenant}/oauth2/v2.0/token")
    async def token(request: Request, tenant: str) -> JSONResponse:
        raw = (await request.body()).decode("utf-8", "replace")
        form = dict(parse_qsl(raw, keep_blank_values=True))
        client_id, secret = _client_credentials(request, form)
        headers = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
        try:
            body = state.token_grant(tenant, form, client_id, secret)
            status = 200
        except EntraError as error:
            body, status = error.body(state.now()), error.status
        record(request, "/oauth2/v2.0/token", status)
        return JSONResponse(body, status_code=status, headers=headers)

    return router
