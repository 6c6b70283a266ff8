"""Microsoft Entra ID as far as Business Central's service-to-service sign-in needs it.

- **App registrations** (client id, client secrets, the application permissions an admin
  consented to: ``API.ReadWrite.All`` on "Dynamics 365 Business Central").
- **The token endpoint**: ``client_credentials`` with scope
  ``https://api.businesscentral.dynamics.com/.default`` (client authentication as form fields or
  HTTP Basic), and the delegated ``refresh_token`` grant some clients still use.
- **Access tokens**: JWTs (``aud``, ``iss``, ``tid``, ``appid``, ``roles``, ``iat``/``nbf``/``exp``)
  valid 60 minutes by the sandbox clock, signed with a key of the sandbox (HS256: real Entra signs
  with RS256; clients do not verify the signature of tokens meant for BC).

Inside Business Central an app also needs a card on the **Microsoft Entra Applications** page of
each environment, set to *Enabled* and given permission sets (``SUPER`` is not allowed); that card
lives with the environment in ``models.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .errors import EntraError

BC_RESOURCE = "https://api.businesscentral.dynamics.com"
BC_SCOPE = f"{BC_RESOURCE}/.default"
APP_ROLES = ("API.ReadWrite.All", "Automation.ReadWrite.All")
TOKEN_LIFETIME = timedelta(minutes=60)
DELEGATED_SCOPE = "Financials.ReadWrite.All user_impersonation"


@dataclass
class EntraApp:
    client_id: str
    tenant_id: str
    display_name: str
    secrets: list[str] = field(default_factory=list)
    #: Application permissions with admin consent.
    roles: list[str] = field(default_factory=list)
    #: Access tokens of an earlier generation are rejected (``expire_tokens`` fault moves it on).
    token_generation: int = 0


@dataclass(frozen=True)
class Principal:
    """Who a valid access token speaks for."""

    tenant_id: str
    client_id: str
    roles: tuple[str, ...]
    delegated: bool
    object_id: str


class TokenProblem(Exception):
    """An access token BC does not accept; ``reason`` is the sentence for the 401."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Directory:
    """Tenants' app registrations, delegated refresh tokens and the token signing key."""

    def __init__(self) -> None:
        self.apps: dict[str, EntraApp] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.key = secrets.token_bytes(32)

    # -- registrations ------------------------------------------------------------------------------
    def register(self, tenant_id: str, display_name: str = "billpay", *, client_id: str | None = None,
                 secret: str | None = None, consent: bool = True) -> tuple[EntraApp, str]:
        app = EntraApp(client_id or str(uuid.uuid4()), tenant_id, display_name)
        value = secret or (secrets.token_urlsafe(30).replace("-", "~")[:40])
        app.secrets.append(value)
        if consent:
            app.roles = ["API.ReadWrite.All"]
        self.apps[app.client_id] = app
        return app, value

    def add_secret(self, client_id: str) -> str:
        value = secrets.token_urlsafe(30)[:40]
        self.require(client_id).secrets.append(value)
        return value

    def require(self, client_id: str) -> EntraApp:
        app = self.apps.get(client_id)
        if app is None:
            raise KeyError(client_id)
        return app

    # -- the token endpoint --------------------------------------------------------------------------
    def token(self, tenant: str, form: dict[str, str], client_id: str | None, secret: str | None,
              now: datetime, known_tenant: bool) -> dict:
        grant = form.get("grant_type")
        if not known_tenant and tenant not in ("organizations", "common"):
            raise EntraError("invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have "
                             "the correct tenant ID and are signing into the correct cloud.")
        if grant == "refresh_token":
            return self._refresh(form, client_id, secret, now)
        if grant != "client_credentials":
            raise EntraError("unsupported_grant_type", 70003, "The app requested an unsupported grant type "
                             f"'{grant or ''}'.")
        app = self._client(client_id, secret, tenant)
        scopes = (form.get("scope") or "").split()
        if scopes != [BC_SCOPE]:
            raise EntraError("invalid_scope", 1002012, f"The provided value for scope {form.get('scope') or ''} is "
                             "not valid. Client credential flows must have a scope value with /.default suffixed "
                             "to the resource identifier (application ID URI).")
        claims = {"aud": BC_RESOURCE, "iss": f"https://sts.windows.net/{app.tenant_id}/", "tid": app.tenant_id,
                  "appid": app.client_id, "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, app.client_id)),
                  "roles": list(app.roles), "idtyp": "app", "ver": "1.0", "xms_gen": app.token_generation}
        return self._issue(claims, now)

    def _client(self, client_id: str | None, secret: str | None, tenant: str) -> EntraApp:
        app = self.apps.get(client_id or "")
        if app is None or (tenant not in ("organizations", "common") and app.tenant_id != tenant):
            raise EntraError("unauthorized_client", 700016, f"Application with identifier '{client_id or ''}' was "
                             f"not found in the directory '{tenant}'. This can happen if the application has not "
                             "been installed by the administrator of the tenant.")
        if not secret:
            raise EntraError("invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is "
                             "required for the 'client_credentials' grant type.", status=401)
        if not any(hmac.compare_digest(secret, s) for s in app.secrets):
            raise EntraError("invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being "
                             f"sent in the request is the client secret value, not the client secret ID, for a "
                             f"secret added to app '{app.client_id}'.", status=401)
        return app

    def _refresh(self, form: dict[str, str], client_id: str | None, secret: str | None, now: datetime) -> dict:
        app = self._client(client_id, secret, "organizations")
        grant = self.refresh_tokens.get(form.get("refresh_token") or "")
        if grant is None or grant["client_id"] != app.client_id:
            raise EntraError("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
        claims = {"aud": BC_RESOURCE, "iss": f"https://sts.windows.net/{grant['tenant_id']}/",
                  "tid": grant["tenant_id"], "appid": app.client_id, "oid": grant["user_id"],
                  "upn": grant["upn"], "scp": DELEGATED_SCOPE, "ver": "1.0", "xms_gen": app.token_generation}
        body = self._issue(claims, now)
        body["scope"] = DELEGATED_SCOPE
        body["refresh_token"] = form["refresh_token"]
        return body

    def issue_refresh_token(self, client_id: str, tenant_id: str, upn: str = "admin@sandbox.test") -> str:
        token = "0." + secrets.token_urlsafe(48)
        self.refresh_tokens[token] = {"client_id": client_id, "tenant_id": tenant_id, "upn": upn,
                                      "user_id": str(uuid.uuid5(uuid.NAMESPACE_URL, upn))}
        return token

    def _issue(self, claims: dict, now: datetime) -> dict:
        iat = int(now.timestamp())
        payload = {**claims, "iat": iat, "nbf": iat, "exp": iat + int(TOKEN_LIFETIME.total_seconds()),
                   "jti": uuid.uuid4().hex}
        header = {"typ": "JWT", "alg": "HS256", "kid": "billpay-sandbox"}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        signature = hmac.new(self.key, signing_input.encode("ascii"), hashlib.sha256).digest()
        lifetime = int(TOKEN_LIFETIME.total_seconds())
        return {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                "access_token": f"{signing_input}.{_b64(signature)}"}

    # -- checking tokens on API calls ----------------------------------------------------------------
    def principal(self, token: str | None, now: datetime) -> Principal:
        if not token:
            raise TokenProblem("The request has no access token. Sign in with Microsoft Entra ID and send the "
                               "token in the Authorization header.")
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenProblem("The access token is not valid.")
        expected = hmac.new(self.key, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
        try:
            valid = hmac.compare_digest(expected, _unb64(parts[2]))
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, TypeError):
            raise TokenProblem("The access token is not valid.") from None
        if not valid:
            raise TokenProblem("The access token is not valid.")
        if claims.get("aud") != BC_RESOURCE:
            raise TokenProblem("The access token was issued for another audience than Business Central.")
        if now.timestamp() >= claims.get("exp", 0):
            raise TokenProblem("The access token is expired.")
        app = self.apps.get(claims.get("appid", ""))
        if app is None:
            raise TokenProblem("The access token was issued to an application that no longer exists.")
        if claims.get("xms_gen", 0) != app.token_generation:
            raise TokenProblem("The access token is expired.")
        return Principal(claims["tid"], app.client_id, tuple(claims.get("roles") or ()), "scp" in claims,
                         claims.get("oid", app.client_id))

    def expire_tokens(self) -> None:
        for app in self.apps.values():
            app.token_generation += 1

    # -- persistence -------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"key": base64.b64encode(self.key).decode(), "refresh_tokens": self.refresh_tokens,
                "apps": [{**vars(a)} for a in self.apps.values()]}

    @classmethod
    def from_dict(cls, data: dict) -> "Directory":
        directory = cls()
        if data.get("key"):
            directory.key = base64.b64decode(data["key"])
        directory.refresh_tokens = dict(data.get("refresh_tokens", {}))
        for raw in data.get("apps", []):
            app = EntraApp(**raw)
            directory.apps[app.client_id] = app
        return directory
