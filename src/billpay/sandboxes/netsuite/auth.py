"""NetSuite sign-in: token-based authentication (OAuth 1.0a, HMAC-SHA256) and OAuth 2.0 client credentials.

TBA (Oracle, "The Signature for Web Services and RESTlets"): the base string is
``METHOD&enc(base URL)&enc(sorted parameters)`` where the base URL is
``scheme://host[:port]/path`` exactly as the client addressed it and the
parameters are every ``oauth_*`` value of the header but the signature
(``oauth_body_hash`` included when present) plus the decoded query string;
``realm`` and a JSON body stay out. The key is ``enc(consumer secret)&enc(token
secret)``. A body hash, when sent, must be ``base64(SHA-1(raw body))``; requests
with a body are accepted with or without one (clients differ). Nonces are
single-use within the timestamp window; a timestamp further than
``TIMESTAMP_WINDOW`` from the server's clock is refused.

OAuth 2.0 client credentials (Oracle, "OAuth 2.0 Client Credentials (M2M) Setup"):
the client posts a JWT signed with the private key of a certificate mapped to
the integration (``kid`` = certificate id, ``iss`` = client id, ``aud`` = the
token endpoint, ``scope`` including ``rest_webservices``, ``exp`` within 60
minutes of ``iat``); the answer is a 60-minute access token and no refresh
token.

Every failure of either scheme is the same documented 401 ``INVALID_LOGIN``;
the reason only goes to the ``x-sandbox-login-audit`` header (NetSuite's Login
Audit Trail).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import urllib.parse
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Mapping

import jwt

from . import errors

TIMESTAMP_WINDOW = timedelta(minutes=5)
ACCESS_TOKEN_LIFETIME = timedelta(minutes=60)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_ALGORITHMS = ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
_PARAM = re.compile(r'([A-Za-z0-9_]+)\s*=\s*"([^"]*)"')


class OAuthError(Exception):
    """A token-endpoint refusal (RFC 6749 JSON ``{"error", "error_description"}``)."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict:
        return {"error": self.error, **({"error_description": self.description} if self.description else {})}


def normalize_account(value: str) -> str:
    """``123456-sb1``, ``123456_sb1`` and ``123456_SB1`` are one account."""
    return value.strip().upper().replace("-", "_")


def enc(value: str) -> str:
    return urllib.parse.quote(value, safe="~-._")


@dataclass
class Integration:
    """An integration record: TBA consumer key/secret, OAuth 2.0 client id and mapped certificates."""

    account_id: str
    consumer_key: str
    consumer_secret: str
    client_id: str
    certificates: dict[str, str] = field(default_factory=dict)  # certificate id -> public key PEM
    enabled: bool = True


@dataclass
class AccessToken:
    """A TBA token (id + secret, no expiry until revoked) or an OAuth 2.0 access token."""

    token_id: str
    account_id: str
    consumer_key: str
    secret: str = ""
    expires_at: datetime | None = None
    revoked: bool = False


@dataclass
class Grant:
    account_id: str
    scheme: str  # "tba" | "oauth2"


class AuthStore:
    """Integrations, tokens, nonces and assertion ids of one sandbox; callers hold the state lock."""

    def __init__(self) -> None:
        self.integrations: dict[str, Integration] = {}   # consumer key -> integration
        self.tokens: dict[str, AccessToken] = {}         # TBA token id or OAuth 2.0 access token -> token
        self.nonces: dict[tuple[str, str, str], datetime] = {}
        self.jtis: dict[str, datetime] = {}

    # -- provisioning -------------------------------------------------------------------------
    def add_integration(self, account_id: str, public_key_pem: str | None = None,
                        certificate_id: str | None = None) -> Integration:
        integration = Integration(account_id=account_id, consumer_key=secrets.token_hex(32),
                                  consumer_secret=secrets.token_hex(32), client_id=secrets.token_hex(32))
        if public_key_pem:
            integration.certificates[certificate_id or secrets.token_urlsafe(24)] = public_key_pem
        self.integrations[integration.consumer_key] = integration
        return integration

    def issue_tba_token(self, integration: Integration) -> AccessToken:
        token = AccessToken(token_id=secrets.token_hex(32), account_id=integration.account_id,
                            consumer_key=integration.consumer_key, secret=secrets.token_hex(32))
        self.tokens[token.token_id] = token
        return token

    def by_client_id(self, client_id: str) -> Integration | None:
        return next((i for i in self.integrations.values() if i.client_id == client_id), None)

    # -- TBA ---------------------------------------------------------------------------------------
    def verify_tba(self, *, header: str, method: str, base_url: str, query: list[tuple[str, str]],
                   body: bytes, now: datetime) -> Grant:
        params = parse_oauth_header(header)
        realm = params.pop("realm", "")
        signature = params.pop("oauth_signature", "")
        if params.get("oauth_signature_method") != "HMAC-SHA256":
            raise errors.invalid_login("signature method must be HMAC-SHA256")
        integration = self.integrations.get(params.get("oauth_consumer_key", ""))
        token = self.tokens.get(params.get("oauth_token", ""))
        if integration is None or not integration.enabled:
            raise errors.invalid_login("unknown or disabled consumer key")
        if token is None or token.expires_at is not None or token.consumer_key != integration.consumer_key:
            raise errors.invalid_login("unknown token for this consumer")
        if token.revoked:
            raise errors.invalid_login("token revoked")
        if normalize_account(realm) != normalize_account(token.account_id):
            raise errors.invalid_login("realm is not the token's account")
        try:
            stamp = datetime.fromtimestamp(int(params.get("oauth_timestamp", "")), tz=now.tzinfo)
        except (ValueError, OverflowError):
            raise errors.invalid_login("timestamp missing or not a number") from None
        if abs(now - stamp) > TIMESTAMP_WINDOW:
            raise errors.invalid_login("timestamp outside the accepted window")
        if "oauth_body_hash" in params:
            expected = base64.b64encode(hashlib.sha1(body).digest()).decode()
            if not hmac.compare_digest(params["oauth_body_hash"], expected):
                raise errors.invalid_login("oauth_body_hash does not match the body")
        base = signature_base_string(method, base_url, [*params.items(), *query])
        wanted = sign(base, integration.consumer_secret, token.secret)
        if not hmac.compare_digest(signature, wanted):
            raise errors.invalid_login("invalid signature")
        nonce = (integration.consumer_key, token.token_id, params.get("oauth_nonce", ""))
        if not nonce[2]:
            raise errors.invalid_login("nonce missing")
        self._prune(now)
        if nonce in self.nonces:
            raise errors.invalid_login("nonce already used")
        self.nonces[nonce] = stamp
        return Grant(token.account_id, "tba")

    # -- OAuth 2.0 client credentials ---------------------------------------------------------------
    def client_credentials(self, form: Mapping[str, str], token_url: str, now: datetime) -> dict:
        if form.get("grant_type") != "client_credentials":
            raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            raise OAuthError("invalid_request", "a JWT client assertion is required")
        assertion = form["client_assertion"]
        try:
            head = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise OAuthError("invalid_request", "the client assertion is not a JWT") from None
        integration = self.by_client_id(str(claims.get("iss", "")))
        if integration is None or not integration.enabled:
            raise OAuthError("invalid_client", "unknown client", status=401)
        key = integration.certificates.get(str(head.get("kid", "")))
        if key is None:
            raise OAuthError("invalid_client", "kid is not a certificate mapped to this integration", status=401)
        if head.get("alg") not in JWT_ALGORITHMS:
            raise OAuthError("invalid_request", f"alg must be one of {', '.join(JWT_ALGORITHMS)}")
        try:
            jwt.decode(assertion, key, algorithms=list(JWT_ALGORITHMS), audience=token_url,
                       options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
        except jwt.InvalidAudienceError:
            raise OAuthError("invalid_grant", "aud must be the token endpoint URL") from None
        except jwt.PyJWTError:
            raise OAuthError("invalid_grant", "the client assertion signature is invalid") from None
        scopes = {s.strip() for s in str(claims.get("scope", "")).replace(" ", ",").split(",")}
        if "rest_webservices" not in scopes:
            raise OAuthError("invalid_scope", "scope must include rest_webservices")
        try:
            iat, exp = int(claims["iat"]), int(claims["exp"])
        except (KeyError, TypeError, ValueError):
            raise OAuthError("invalid_request", "iat and exp are required integers") from None
        stamp = now.timestamp()
        if exp <= stamp or iat > stamp + 300 or exp - iat > 3600:
            raise OAuthError("invalid_grant", "the client assertion is expired or valid too long")
        jti = str(claims.get("jti") or "")
        self._prune(now)
        if jti and jti in self.jtis:
            raise OAuthError("invalid_grant", "the client assertion was already used")
        if jti:
            self.jtis[jti] = now
        token = AccessToken(token_id=secrets.token_urlsafe(48), account_id=integration.account_id,
                            consumer_key=integration.consumer_key, expires_at=now + ACCESS_TOKEN_LIFETIME)
        self.tokens[token.token_id] = token
        return {"access_token": token.token_id, "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
                "token_type": "bearer"}

    def verify_bearer(self, value: str, now: datetime) -> Grant:
        token = self.tokens.get(value)
        if token is None or token.expires_at is None:
            raise errors.invalid_login("unknown access token")
        if token.revoked or now >= token.expires_at:
            raise errors.invalid_login("access token expired or revoked")
        integration = self.integrations.get(token.consumer_key)
        if integration is None or not integration.enabled:
            raise errors.invalid_login("integration disabled")
        return Grant(token.account_id, "oauth2")

    # -- control -------------------------------------------------------------------------------------
    def expire_access_tokens(self, now: datetime) -> int:
        count = 0
        for token in self.tokens.values():
            if token.expires_at is not None and token.expires_at > now:
                token.expires_at = now
                count += 1
        return count

    def revoke_account(self, account_id: str | None = None) -> int:
        """Revoke every token (of one account) and block its integration records, as an admin removing billpay's
        access would (Setup > Users/Roles > Access Tokens; Setup > Integration > Manage Integrations)."""
        count = 0
        for token in self.tokens.values():
            if account_id is None or token.account_id == account_id:
                token.revoked, count = True, count + 1
        for integration in self.integrations.values():
            if account_id is None or integration.account_id == account_id:
                integration.enabled = False  # the integration record is blocked: no new OAuth 2.0 tokens
        return count

    def _prune(self, now: datetime) -> None:
        horizon = now - 2 * TIMESTAMP_WINDOW
        self.nonces = {k: v for k, v in self.nonces.items() if v >= horizon}
        self.jtis = {k: v for k, v in self.jtis.items() if v >= now - 2 * ACCESS_TOKEN_LIFETIME}

    # -- persistence -----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"integrations": [asdict(i) for i in self.integrations.values()],
                "tokens": [asdict(t) for t in self.tokens.values()]}

    @classmethod
    def from_dict(cls, data: dict) -> AuthStore:
        store = cls()
        for item in data.get("integrations", []):
            integration = Integration(**item)
            store.integrations[integration.consumer_key] = integration
        for item in data.get("tokens", []):
            token = AccessToken(**item)
            store.tokens[token.token_id] = token
        return store


def parse_oauth_header(header: str) -> dict[str, str]:
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "oauth":
        raise errors.invalid_login("Authorization is not an OAuth header")
    return {name: urllib.parse.unquote(value) for name, value in _PARAM.findall(rest)}


def signature_base_string(method: str, base_url: str, params: list[tuple[str, str]]) -> str:
    pairs = sorted((enc(k), enc(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), enc(base_url), enc(normalized)))


def sign(base_string: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{enc(consumer_secret)}&{enc(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base_string.encode(), hashlib.sha256).digest()).decode()


def base_url(scheme: str, host: str, path: str) -> str:
    """``scheme://host[:port]/path`` with the default port left out (RFC 5849 3.4.1.2)."""
    scheme = scheme.lower()
    host = host.lower()
    if (scheme == "http" and host.endswith(":80")) or (scheme == "https" and host.endswith(":443")):
        host = host.rsplit(":", 1)[0]
    return f"{scheme}://{host}{path}"
