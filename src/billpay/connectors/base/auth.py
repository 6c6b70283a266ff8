"""OAuth 2.0 refresh-token flow as an ``httpx.Auth``, with rotation persisted first.

``OAuth2RefreshTokenAuth`` adds ``Authorization: Bearer <access token>`` to
every request. It refreshes the access token

- before the request, when the stored one has expired (``expires_at`` minus a
  small skew), and
- once after a ``401``, then re-sends the request.

The refresh request goes through the same ``httpx`` client and transport as
the API calls (it is yielded from the auth flow), so tests and sandboxes see
it like any other request.

**Rotation.** Platforms such as QuickBooks Online may return a new refresh
token on every refresh; the old one soon stops working. The new pair is
handed to ``TokenStore.save`` *before* the new access token is used, and a
failing save aborts the call, so a rotated refresh token can never be lost.
Before refreshing, the flow re-reads the store: when another worker has
already refreshed, its tokens are used instead of refreshing again.

**Secrets.** ``OAuthTokens`` hides its tokens from ``repr``; errors raised here
never include a token, the client secret or the token request.

Other platforms reuse the pieces: Business Central's client-credentials grant
is the same flow with a different ``grant_body``; NetSuite TBA and Intacct
sessions are separate ``httpx.Auth`` classes next to this one.
"""
from __future__ import annotations

import base64
import datetime as dt
import threading
from dataclasses import dataclass, field, replace
from typing import Callable, Generator, Iterable, Protocol, runtime_checkable

import httpx

from billpay.connectors.base import codec
from billpay.connectors.base.errors import (
    AUTH_ENDPOINT_INVALID,
    AUTH_MISSING,
    AUTH_REVOKED,
    CLIENT_INVALID,
    UNEXPECTED_RESPONSE,
    resolve_status,
    scrub,
)
from billpay.connectors.base.retry import parse_retry_after
from billpay.sync.ports import ConnectorError

DEFAULT_ACCESS_TOKEN_LIFETIME = dt.timedelta(seconds=3600)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class OAuthTokens:
    """An access/refresh token pair and when each expires (UTC). Tokens never appear in repr."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: dt.datetime | None = None
    refresh_expires_at: dt.datetime | None = None

    def access_expired(self, now: dt.datetime, skew: dt.timedelta = dt.timedelta(0)) -> bool:
        """True when the access token is (about to be) expired; unknown expiry counts as valid."""
        if not self.access_token:
            return True
        return self.expires_at is not None and now + skew >= self.expires_at

    @classmethod
    def from_token_response(
        cls, body: dict, *, now: dt.datetime, previous: OAuthTokens | None = None
    ) -> OAuthTokens:
        """Tokens from an RFC 6749 token response; keeps the old refresh token if none is sent."""
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("token response has no access_token")
        refresh = body.get("refresh_token") or (previous.refresh_token if previous else "")
        expires_in = _seconds(body.get("expires_in"))
        refresh_in = _seconds(body.get("x_refresh_token_expires_in"))
        return cls(
            access_token=access,
            refresh_token=str(refresh),
            expires_at=now + (dt.timedelta(seconds=expires_in) if expires_in is not None
                              else DEFAULT_ACCESS_TOKEN_LIFETIME),
            refresh_expires_at=(now + dt.timedelta(seconds=refresh_in)) if refresh_in is not None
            else (previous.refresh_expires_at if previous else None),
        )


def _seconds(value: object) -> float | None:
    try:
        return float(value) if value is not None else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@runtime_checkable
class TokenStore(Protocol):
    """Where a connection's OAuth tokens live (the app stores them encrypted in the database).

    ``save`` must be durable when it returns: the flow uses a rotated refresh
    token only after ``save`` succeeded. ``load`` is called before every
    refresh so that several workers sharing one connection see each other's
    rotations.
    """

    def load(self) -> OAuthTokens | None: ...

    def save(self, tokens: OAuthTokens) -> None: ...


class InMemoryTokenStore:
    """A ``TokenStore`` for tests and the embedded demo; counts saves."""

    def __init__(self, tokens: OAuthTokens | None = None) -> None:
        self._tokens = tokens
        self.saves = 0

    def load(self) -> OAuthTokens | None:
        return self._tokens

    def save(self, tokens: OAuthTokens) -> None:
        self._tokens = tokens
        self.saves += 1

    def __repr__(self) -> str:
        return f"InMemoryTokenStore(saves={self.saves})"


class OAuth2RefreshTokenAuth(httpx.Auth):
    """Bearer auth that refreshes with ``grant_type=refresh_token`` and persists rotations.

    Override points: ``grant_body`` (the form fields of the refresh request)
    and ``client_auth_headers`` (HTTP Basic by default, as QuickBooks and most
    providers expect). A grant that needs no refresh token (client credentials)
    sets ``uses_refresh_token = False``: the first call then fetches a token even
    when the store holds none.
    """

    requires_response_body = True
    uses_refresh_token = True

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        store: TokenStore,
        platform: str = "the accounting platform",
        now: Callable[[], dt.datetime] = utc_now,
        skew: dt.timedelta = dt.timedelta(seconds=60),
        on_rotate: Callable[[OAuthTokens], None] | None = None,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._store = store
        self._platform = platform
        self._now = now
        self._skew = skew
        self._on_rotate = on_rotate
        self._lock = threading.Lock()
        self._tokens: OAuthTokens | None = None
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token_url={self._token_url!r}, client_id={self._client_id!r})"

    # -- override points -------------------------------------------------
    def grant_body(self, tokens: OAuthTokens) -> dict[str, str]:
        """Form fields of the refresh request."""
        return {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}

    def client_auth_headers(self) -> dict[str, str]:
        """How the client authenticates to the token endpoint (HTTP Basic)."""
        pair = f"{self._client_id}:{self._client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    # -- helpers used by connectors ---------------------------------------
    def secrets(self) -> Iterable[str]:
        """Values that must never appear in logs or errors (for ``errors.scrub``)."""
        values = [self._client_secret]
        for tokens in (self._tokens, self._store.load()):
            if tokens is not None:
                values += [tokens.access_token, tokens.refresh_token]
        return [v for v in values if v]

    # -- the flow ------------------------------------------------------------
    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        with self._lock:
            tokens = self._tokens or self._store.load()
            if tokens is None:
                if self.uses_refresh_token:
                    raise AUTH_MISSING.error(platform=self._platform)
                tokens = OAuthTokens(access_token="", refresh_token="")
            refreshed = False
            if tokens.access_expired(self._now(), self._skew):
                tokens = yield from self._refresh(tokens)
                refreshed = True
            self._tokens = tokens
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        response = yield request
        if response.status_code != 401 or refreshed:
            return
        with self._lock:
            tokens = yield from self._refresh(tokens)
            self._tokens = tokens
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        yield request

    def _refresh(
        self, stale: OAuthTokens
    ) -> Generator[httpx.Request, httpx.Response, OAuthTokens]:
        latest = self._store.load()
        if (
            latest is not None
            and latest.access_token != stale.access_token
            and not latest.access_expired(self._now(), self._skew)
        ):
            return latest  # another worker refreshed meanwhile
        current = latest or stale
        if self.uses_refresh_token and not current.refresh_token:
            raise AUTH_MISSING.error(platform=self._platform)
        token_request = httpx.Request(
            "POST",
            self._token_url,
            data=self.grant_body(current),
            headers={**self.client_auth_headers(), "Accept": "application/json"},
        )
        response = yield token_request
        body = _json_or_none(response)
        if response.status_code != 200 and isinstance(body, dict) and body.get("error") == "invalid_grant":
            # Refresh tokens rotate with no grace: another worker (process) may have refreshed first and saved
            # the new pair. Use what it saved rather than reporting a revoked grant.
            rotated = self._store.load()
            if rotated is not None and rotated.refresh_token and rotated.refresh_token != current.refresh_token:
                if not rotated.access_expired(self._now(), self._skew):
                    return rotated
                token_request = httpx.Request(
                    "POST", self._token_url, data=self.grant_body(rotated),
                    headers={**self.client_auth_headers(), "Accept": "application/json"})
                current = rotated
                response = yield token_request
                body = _json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict):
            raise self._token_error(response, body)
        try:
            fresh = OAuthTokens.from_token_response(body, now=self._now(), previous=current)
        except ValueError:
            raise UNEXPECTED_RESPONSE.error(
                platform=self._platform, raw={"status": response.status_code, "where": "token"}
            ) from None
        self._store.save(fresh)  # persisted before use; a failing save aborts the call
        self.refreshes += 1
        if self._on_rotate is not None and fresh.refresh_token != current.refresh_token:
            self._on_rotate(replace(fresh))
        return fresh

    def _token_error(self, response: httpx.Response, body: object) -> ConnectorError:
        error_code = body.get("error") if isinstance(body, dict) else None
        raw = {
            "status": response.status_code,
            "where": "token",
            "error": error_code,
            "error_description": body.get("error_description") if isinstance(body, dict) else None,
        }
        raw = scrub(raw, self.secrets())
        if error_code == "invalid_grant":
            return AUTH_REVOKED.error(platform=self._platform, raw=raw)
        if error_code in ("invalid_client", "unauthorized_client") or response.status_code == 401:
            return CLIENT_INVALID.error(platform=self._platform, raw=raw)
        if response.status_code in (404, 405) and error_code is None:
            return AUTH_ENDPOINT_INVALID.error(platform=self._platform, raw=raw)
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            # Any other refusal of the refresh token: only reconnecting fixes it.
            return AUTH_REVOKED.error(platform=self._platform, raw=raw)
        resolution = resolve_status(response.status_code)
        if resolution.kind != "transient":
            resolution = UNEXPECTED_RESPONSE
        return resolution.error(
            platform=self._platform,
            raw=raw,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )


def _json_or_none(response: httpx.Response) -> object:
    try:
        return codec.loads(response.content)
    except ValueError:
        return None


def exchange_authorization_code(
    http: httpx.Client, *, token_url: str, client_id: str, client_secret: str, code: str, redirect_uri: str,
    now: dt.datetime, platform: str = "the accounting platform",
) -> OAuthTokens:
    """RFC 6749 §4.1.3: the authorization code a consent page returned -> tokens (client auth: HTTP Basic)."""
    pair = f"{client_id}:{client_secret}".encode()
    response = http.post(token_url, data={"grant_type": "authorization_code", "code": code,
                                          "redirect_uri": redirect_uri},
                         headers={"Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
                                  "Accept": "application/json"})
    body = _json_or_none(response)
    if response.status_code != 200 or not isinstance(body, dict):
        error_code = body.get("error") if isinstance(body, dict) else None
        raise AUTH_REVOKED.error(platform=platform, raw={"status": response.status_code, "where": "token",
                                                         "error": error_code})
    try:
        return OAuthTokens.from_token_response(body, now=now)
    except ValueError:
        raise UNEXPECTED_RESPONSE.error(platform=platform, raw={"status": response.status_code, "where": "token"}) \
            from None
