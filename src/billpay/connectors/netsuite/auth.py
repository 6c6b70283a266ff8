"""Signing in to NetSuite: ``httpx.Auth`` flows for TBA and for OAuth 2.0 client credentials.

``TokenBasedAuth`` signs every request with OAuth 1.0a HMAC-SHA256 (Oracle, "The
Signature for Web Services and RESTlets"): a fresh nonce and timestamp per
request (a retry is a new signature, never a replayed nonce), the base URL as
the request addresses it, the query parameters, and ``oauth_body_hash`` for a
request with a body.

``ClientCredentialsAuth`` gets a 60-minute bearer token with a JWT client
assertion (PS256, ``kid`` = certificate id) and signs in again when it expires
or a request answers 401. There is no refresh token; tokens are kept in the
``TokenStore`` so workers sharing a connection share one token. Secrets never
appear in ``repr`` or errors.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import urllib.parse
import uuid
from typing import Callable, Generator, Iterable

import httpx
import jwt

from billpay.connectors.base import codec
from billpay.connectors.base.auth import OAuthTokens, TokenStore, utc_now
from billpay.connectors.base.errors import (
    AUTH_ENDPOINT_INVALID,
    CLIENT_INVALID,
    UNEXPECTED_RESPONSE,
    resolve_status,
    scrub,
)
from billpay.connectors.netsuite.errors import PLATFORM, SIGN_IN_REFUSED
from billpay.sync.ports import ConnectorError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _enc(value: str) -> str:
    return urllib.parse.quote(value, safe="~-._")


class TokenBasedAuth(httpx.Auth):
    """OAuth 1.0a TBA, HMAC-SHA256, realm = the account id."""

    requires_request_body = True

    def __init__(self, *, account_id: str, consumer_key: str, consumer_secret: str, token_id: str,
                 token_secret: str, now: Callable[[], dt.datetime] = utc_now) -> None:
        self._account = account_id
        self._consumer_key, self._consumer_secret = consumer_key, consumer_secret
        self._token_id, self._token_secret = token_id, token_secret
        self._now = now

    def __repr__(self) -> str:
        return f"TokenBasedAuth(account_id={self._account!r})"

    def secrets(self) -> Iterable[str]:
        return [v for v in (self._consumer_secret, self._token_secret, self._token_id, self._consumer_key) if v]

    def header(self, method: str, url: httpx.URL, body: bytes) -> str:
        params = {
            "oauth_consumer_key": self._consumer_key, "oauth_token": self._token_id,
            "oauth_signature_method": "HMAC-SHA256", "oauth_timestamp": str(int(self._now().timestamp())),
            "oauth_nonce": secrets.token_hex(16), "oauth_version": "1.0",
        }
        if body:
            params["oauth_body_hash"] = base64.b64encode(hashlib.sha1(body).digest()).decode()
        host = url.host.lower() + (f":{url.port}" if url.port else "")  # httpx drops default ports
        base_url = f"{url.scheme}://{host}{url.raw_path.split(b'?')[0].decode('ascii')}"
        query = urllib.parse.parse_qsl(url.query.decode("ascii"), keep_blank_values=True)
        pairs = sorted((_enc(k), _enc(v)) for k, v in [*params.items(), *query])
        base = "&".join((method.upper(), _enc(base_url), _enc("&".join(f"{k}={v}" for k, v in pairs))))
        key = f"{_enc(self._consumer_secret)}&{_enc(self._token_secret)}".encode()
        params["oauth_signature"] = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()
        fields = ", ".join(f'{k}="{_enc(v)}"' for k, v in params.items())
        return f'OAuth realm="{self._account}", {fields}'

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.header(request.method, request.url, request.content)
        yield request


class ClientCredentialsAuth(httpx.Auth):
    """OAuth 2.0 client credentials with a JWT assertion; one sign-in again after a 401."""

    requires_response_body = True

    def __init__(self, *, token_url: str, client_id: str, certificate_id: str, private_key_pem: str,
                 store: TokenStore, now: Callable[[], dt.datetime] = utc_now,
                 skew: dt.timedelta = dt.timedelta(seconds=60)) -> None:
        self._token_url, self._client_id = token_url, client_id
        self._certificate_id, self._key = certificate_id, private_key_pem
        self._store, self._now, self._skew = store, now, skew
        self._lock = threading.Lock()
        self._tokens: OAuthTokens | None = None
        self.sign_ins = 0

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(token_url={self._token_url!r}, client_id={self._client_id!r})"

    def secrets(self) -> Iterable[str]:
        values = [self._key]
        for tokens in (self._tokens, self._store.load()):
            if tokens is not None:
                values.append(tokens.access_token)
        return [v for v in values if v]

    def assertion(self) -> str:
        issued = int(self._now().timestamp())
        claims = {"iss": self._client_id, "scope": "rest_webservices", "aud": self._token_url,
                  "iat": issued, "exp": issued + 3000, "jti": str(uuid.uuid4())}
        return jwt.encode(claims, self._key, algorithm="PS256", headers={"kid": self._certificate_id, "typ": "JWT"})

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        with self._lock:
            tokens = self._current()
            if tokens is None:
                tokens = yield from self._sign_in()
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        response = yield request
        if response.status_code != 401:
            return
        with self._lock:
            latest = self._store.load()
            if latest is not None and latest.access_token != tokens.access_token and \
                    not latest.access_expired(self._now(), self._skew):
                tokens = self._tokens = latest
            else:
                tokens = yield from self._sign_in()
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        yield request

    def _current(self) -> OAuthTokens | None:
        for tokens in (self._tokens, self._store.load()):
            if tokens is not None and tokens.access_token and not tokens.access_expired(self._now(), self._skew):
                self._tokens = tokens
                return tokens
        return None

    def _sign_in(self) -> Generator[httpx.Request, httpx.Response, OAuthTokens]:
        response = yield httpx.Request("POST", self._token_url, data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion()}, headers={"Accept": "application/json"})
        try:
            body = codec.loads(response.content) if response.content else None
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            raise self._token_error(response, body)
        try:
            fresh = OAuthTokens.from_token_response(body, now=self._now())
        except ValueError:
            raise UNEXPECTED_RESPONSE.error(platform=PLATFORM, raw={"status": 200, "where": "token"}) from None
        self._store.save(fresh)
        self._tokens = fresh
        self.sign_ins += 1
        return fresh

    def _token_error(self, response: httpx.Response, body: object) -> ConnectorError:
        error = body.get("error") if isinstance(body, dict) else None
        raw = scrub({"status": response.status_code, "where": "token", "error": error}, self.secrets())
        if error in ("invalid_client", "invalid_grant", "unauthorized_client") or response.status_code == 401:
            return SIGN_IN_REFUSED.error(platform=PLATFORM, raw=raw)
        if error == "invalid_scope":
            return CLIENT_INVALID.error(platform=PLATFORM, raw=raw)
        if response.status_code in (404, 405):
            return AUTH_ENDPOINT_INVALID.error(platform=PLATFORM, raw=raw)
        resolution = resolve_status(response.status_code)
        return (resolution if resolution.kind == "transient" else UNEXPECTED_RESPONSE).error(platform=PLATFORM, raw=raw)
