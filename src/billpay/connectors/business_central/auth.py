"""Entra ID client-credentials sign-in for Business Central, as an ``httpx.Auth``.

The shared OAuth flow (``connectors.base.auth``) does the work: the access token is kept in the
connection's ``TokenStore`` (encrypted in the database, so every worker reuses it), fetched again
a few minutes before it expires, and once more after a 401. Only the grant differs:
``grant_type=client_credentials`` with the client id and secret as form fields and the scope
``https://api.businesscentral.dynamics.com/.default``. Token endpoint refusals are read with their
AADSTS numbers so that an expired secret, an unknown tenant or a missing consent are told apart.
"""
from __future__ import annotations

import datetime as dt

import httpx

from billpay.connectors.base.auth import OAuth2RefreshTokenAuth, OAuthTokens
from billpay.connectors.base.errors import scrub
from billpay.connectors.business_central.errors import (
    AUTH_REFUSED,
    CLIENT_REFUSED,
    PLATFORM,
    TENANT_NOT_FOUND,
    resolution_error,
)
from billpay.sync.ports import ConnectorError

SCOPE = "https://api.businesscentral.dynamics.com/.default"
#: Fetch a new token this long before the current one expires (Entra tokens live about an hour).
REFRESH_BEFORE = dt.timedelta(minutes=5)


class ClientCredentialsAuth(OAuth2RefreshTokenAuth):
    uses_refresh_token = False

    def __init__(self, **kwargs) -> None:  # noqa: ANN003 - the base class's keywords
        kwargs.setdefault("skew", REFRESH_BEFORE)
        kwargs.setdefault("platform", PLATFORM)
        super().__init__(**kwargs)

    def grant_body(self, tokens: OAuthTokens) -> dict[str, str]:
        return {"grant_type": "client_credentials", "client_id": self._client_id,
                "client_secret": self._client_secret, "scope": SCOPE}

    def client_auth_headers(self) -> dict[str, str]:
        return {}  # the client id and secret travel as form fields

    def _token_error(self, response: httpx.Response, body: object) -> ConnectorError:
        if isinstance(body, dict) and body.get("error"):
            codes = body.get("error_codes") or []
            described = str(body.get("error_description") or "")
            detail = scrub(described.split(" Trace ID:")[0], self.secrets())
            raw = scrub({"status": response.status_code, "where": "token", "error": body.get("error"),
                         "error_codes": codes, "error_description": described}, self.secrets())
            if 90002 in codes or body.get("error") == "invalid_tenant":
                return resolution_error(TENANT_NOT_FOUND, raw=raw)
            if body.get("error") in ("invalid_client", "unauthorized_client"):
                return resolution_error(CLIENT_REFUSED, raw=raw, detail=detail)
            if body.get("error") in ("invalid_scope", "invalid_grant", "invalid_request"):
                return resolution_error(AUTH_REFUSED, raw=raw, detail=detail)
        return super()._token_error(response, body)
