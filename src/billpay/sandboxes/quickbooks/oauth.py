"""OAuth 2.0 for the sandbox: clients, authorization codes, access and refresh tokens.

Lifetimes follow Intuit: access tokens 3600 s, refresh tokens 100 days
(``x_refresh_token_expires_in`` 8726400), authorization codes 5 minutes and
single use.

**Refresh-token rotation.** Every refresh returns a *new* refresh token and the
one just used answers ``invalid_grant`` at once: Intuit documents no grace
period, and the sandbox is at least as strict as the platform (clients must
persist the rotated token before using it, and re-read it when another worker
rotated it first). ``refresh_grace_seconds`` can be raised for experiments;
within a grace the old token gets a fresh access token and the *same* latest
refresh token. Access tokens already issued stay valid until they
expire. Revoking any token of a connection revokes the whole connection.

All methods expect the caller (``QuickBooksState``) to hold its lock and pass
the current time.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 8726400
AUTH_CODE_SECONDS = 300
DEFAULT_REFRESH_GRACE_SECONDS = 0
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"

_ALNUM = string.ascii_letters + string.digits


class OAuthError(Exception):
    """An OAuth endpoint error: ``error`` is the RFC 6749 code, ``status`` the HTTP status."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class TokenProblem(Exception):
    """Why an access token was refused (``status`` 401 or 403, ``detail`` for the fault body)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str] | None = None  # None: any redirect URI is accepted
    name: str = "billpay sandbox app"
    realms: list[str] | None = None  # the companies this app's user may connect (None: every company)


@dataclass
class Grant:
    grant_id: str
    client_id: str
    realm_id: str
    scope: str
    created_at: datetime
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    grant_id: str
    issued_at: datetime
    expires_at: datetime
    superseded_by: str | None = None
    superseded_at: datetime | None = None


@dataclass
class AccessToken:
    token: str
    grant_id: str
    expires_at: datetime


@dataclass
class AuthCode:
    code: str
    client_id: str
    realm_id: str
    redirect_uri: str
    scope: str
    expires_at: datetime
    used: bool = False


@dataclass
class TokenStore:
    refresh_grace_seconds: int = DEFAULT_REFRESH_GRACE_SECONDS
    clients: dict[str, Client] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)

    # --- clients ---------------------------------------------------------------

    def register_client(
        self,
        redirect_uris: list[str] | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        realms: list[str] | None = None,
    ) -> Client:
        client = Client(
            client_id=client_id or "AB" + _random(48),
            client_secret=client_secret or _random(40),
            redirect_uris=list(redirect_uris) if redirect_uris else None,
            realms=list(realms) if realms is not None else None,
        )
        self.clients[client.client_id] = client
        return client

    def client(self, client_id: str | None) -> Client | None:
        return self.clients.get(client_id or "")

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> Client:
        client = self.client(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, client_secret or ""):
            raise OAuthError("invalid_client", status=401)
        return client

    def redirect_allowed(self, client: Client, redirect_uri: str | None) -> bool:
        if not redirect_uri:
            return False
        return client.redirect_uris is None or redirect_uri in client.redirect_uris

    # --- authorization code grant ---------------------------------------------

    def realm_allowed(self, client: Client, realm_id: str) -> bool:
        return client.realms is None or realm_id in client.realms

    def create_code(self, client: Client, realm_id: str, redirect_uri: str, scope: str, now: datetime) -> str:
        if not self.realm_allowed(client, realm_id):
            raise OAuthError("access_denied", "This app may not connect to that company")
        code = "AB" + _random(40)
        self.codes[code] = AuthCode(
            code, client.client_id, realm_id, redirect_uri, scope, now + timedelta(seconds=AUTH_CODE_SECONDS)
        )
        return code

    def exchange_code(
        self, client: Client, code: str | None, redirect_uri: str | None, now: datetime
    ) -> dict:
        grant_code = self.codes.get(code or "")
        if (
            grant_code is None
            or grant_code.used
            or grant_code.client_id != client.client_id
            or grant_code.expires_at <= now
        ):
            raise OAuthError("invalid_grant")
        if redirect_uri != grant_code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        grant_code.used = True
        grant = self._new_grant(client.client_id, grant_code.realm_id, grant_code.scope, now)
        refresh = self._new_refresh_token(grant, now)
        return self._token_response(grant, refresh, now)

    # --- refresh ---------------------------------------------------------------

    def issue_refresh_token(self, client_id: str, realm_id: str, now: datetime) -> str:
        """A refresh token for a new connection, as if the user had just consented."""
        if client_id not in self.clients:
            raise KeyError(f"unknown client {client_id}")
        grant = self._new_grant(client_id, realm_id, ACCOUNTING_SCOPE, now)
        return self._new_refresh_token(grant, now).token

    def issue_tokens(self, client_id: str, realm_id: str, now: datetime) -> dict:
        """A full token response for a new connection (tests and demos skip the consent page)."""
        token = self.issue_refresh_token(client_id, realm_id, now)
        refresh = self.refresh_tokens[token]
        return self._token_response(self.grants[refresh.grant_id], refresh, now)

    def refresh(self, client: Client, token: str | None, now: datetime) -> dict:
        refresh = self.refresh_tokens.get(token or "")
        if refresh is None:
            raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
        grant = self.grants[refresh.grant_id]
        if grant.client_id != client.client_id:
            raise OAuthError("invalid_grant", "Refresh token was issued to another client")
        if grant.revoked or refresh.expires_at <= now:
            raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
        if refresh.superseded_by is not None:
            assert refresh.superseded_at is not None
            if (now - refresh.superseded_at).total_seconds() >= self.refresh_grace_seconds:
                raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
            latest = refresh
            while latest.superseded_by is not None:
                latest = self.refresh_tokens[latest.superseded_by]
            return self._token_response(grant, latest, now)
        successor = self._new_refresh_token(grant, now)
        refresh.superseded_by = successor.token
        refresh.superseded_at = now
        return self._token_response(grant, successor, now)

    def revoke(self, client: Client, token: str | None) -> None:
        """Revoke the connection the token belongs to; unknown tokens are ignored (RFC 7009)."""
        holder = self.refresh_tokens.get(token or "") or self.access_tokens.get(token or "")
        if holder is None:
            return
        grant = self.grants[holder.grant_id]
        if grant.client_id != client.client_id:
            return
        grant.revoked = True

    # --- access tokens ---------------------------------------------------------

    def check_access_token(self, token: str | None, realm_id: str | None, now: datetime) -> Grant:
        """The grant behind a bearer token, or ``TokenProblem`` (401, or 403 for another company)."""
        if not token:
            raise TokenProblem(401, "Authorization header is missing or is not a Bearer token")
        access = self.access_tokens.get(token)
        if access is None:
            raise TokenProblem(
                401, "Malformed bearer token: too short or too long" if len(token) < 20 else "Token invalid"
            )
        grant = self.grants[access.grant_id]
        if grant.revoked:
            raise TokenProblem(401, "Token revoked")
        if access.expires_at <= now:
            raise TokenProblem(401, f"Token expired: {token[:50]}")
        if realm_id is not None and grant.realm_id != realm_id:
            raise TokenProblem(403, "The access token was not issued for this company")
        return grant

    def expire_access_tokens(self, now: datetime) -> int:
        """Make every access token issued so far expired (fault ``expire_tokens``)."""
        count = 0
        for access in self.access_tokens.values():
            if access.expires_at > now:
                access.expires_at = now
                count += 1
        return count

    # --- helpers ---------------------------------------------------------------

    def _new_grant(self, client_id: str, realm_id: str, scope: str, now: datetime) -> Grant:
        grant = Grant("g" + _random(16), client_id, realm_id, scope, now)
        self.grants[grant.grant_id] = grant
        return grant

    def _new_refresh_token(self, grant: Grant, now: datetime) -> RefreshToken:
        expires = now + timedelta(seconds=REFRESH_TOKEN_SECONDS)
        token = RefreshToken(f"AB1{int(expires.timestamp())}{_random(36)}", grant.grant_id, now, expires)
        self.refresh_tokens[token.token] = token
        return token

    def _token_response(self, grant: Grant, refresh: RefreshToken, now: datetime) -> dict:
        access = AccessToken(
            "eyJ" + _random(61) + "." + _random(86),
            grant.grant_id,
            now + timedelta(seconds=ACCESS_TOKEN_SECONDS),
        )
        self.access_tokens[access.token] = access
        return {
            "token_type": "bearer",
            "access_token": access.token,
            "refresh_token": refresh.token,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "x_refresh_token_expires_in": max(0, int((refresh.expires_at - now).total_seconds())),
        }

    def purge_expired(self, now: datetime) -> None:
        """Forget access tokens and codes that can no longer be used (keeps the store small)."""
        for token in [t for t, a in self.access_tokens.items() if a.expires_at <= now - timedelta(days=1)]:
            del self.access_tokens[token]
        for code in [c for c, a in self.codes.items() if a.expires_at <= now]:
            del self.codes[code]

    # --- persistence -----------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "refresh_grace_seconds": self.refresh_grace_seconds,
            "clients": {k: asdict(v) for k, v in self.clients.items()},
            "grants": {k: asdict(v) for k, v in self.grants.items()},
            "refresh_tokens": {k: asdict(v) for k, v in self.refresh_tokens.items()},
            "access_tokens": {k: asdict(v) for k, v in self.access_tokens.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> "TokenStore":
        return cls(
            refresh_grace_seconds=data.get("refresh_grace_seconds", DEFAULT_REFRESH_GRACE_SECONDS),
            clients={k: Client(**v) for k, v in data.get("clients", {}).items()},
            grants={k: Grant(**v) for k, v in data.get("grants", {}).items()},
            refresh_tokens={k: RefreshToken(**v) for k, v in data.get("refresh_tokens", {}).items()},
            access_tokens={k: AccessToken(**v) for k, v in data.get("access_tokens", {}).items()},
        )


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))
