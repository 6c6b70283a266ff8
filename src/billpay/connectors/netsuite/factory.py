"""Registry factory: a stored connection -> ``NetSuiteConnector``.

The connection holds TBA credentials (consumer key/secret, token id/secret), OAuth 2.0
client-credentials ones (client id, certificate id, private key), or both; OAuth 2.0 is
used when complete (Oracle's preferred method; no new TBA integrations from 2027.1),
else TBA. ``options["bank_accounts"]`` maps a currency to the bank account bill payments
are drawn on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from billpay.connectors.base.auth import TokenStore, utc_now
from billpay.connectors.netsuite import errors
from billpay.connectors.netsuite.auth import ClientCredentialsAuth, TokenBasedAuth
from billpay.connectors.netsuite.connector import NetSuiteConnector

if TYPE_CHECKING:
    from billpay.connectors import ConnectionSettings

TBA_FIELDS = ("consumer_key", "consumer_secret", "token_id", "token_secret")
OAUTH2_FIELDS = ("token_url", "client_id", "certificate_id", "private_key_pem")


def auth_for(settings: ConnectionSettings, tokens: TokenStore, *, now=utc_now) -> httpx.Auth:  # noqa: ANN001
    """The sign-in the connection's credentials allow (``options["auth"]``: ``"tba"``/``"oauth2"`` to choose)."""
    wanted = str(settings.options.get("auth") or "")
    has_oauth2 = all(settings.get(name) for name in OAUTH2_FIELDS)
    has_tba = all(settings.get(name) for name in TBA_FIELDS)
    if (wanted == "oauth2" or (has_oauth2 and wanted != "tba")) and has_oauth2:
        return ClientCredentialsAuth(token_url=settings.get("token_url"), client_id=settings.get("client_id"),
                                     certificate_id=settings.get("certificate_id"),
                                     private_key_pem=settings.get("private_key_pem"), store=tokens, now=now)
    if has_tba:
        return TokenBasedAuth(account_id=settings.company_id, consumer_key=settings.get("consumer_key"),
                              consumer_secret=settings.get("consumer_secret"), token_id=settings.get("token_id"),
                              token_secret=settings.get("token_secret"), now=now)
    missing = [n for n in (OAUTH2_FIELDS if wanted == "oauth2" else TBA_FIELDS) if not settings.get(n)]
    raise errors.resolution_error(errors.CONFIG_INCOMPLETE, detail=(
        "it needs either the token-based authentication fields (consumer key and secret, token id and secret) "
        "or the OAuth 2.0 client-credentials fields (token URL, client id, certificate id, private key); "
        f"missing: {', '.join(missing)}"))


def build(settings: ConnectionSettings, *, http: httpx.Client, tokens: TokenStore, **overrides: Any) -> NetSuiteConnector:
    options = dict(settings.options)
    now = overrides.get("now", utc_now)
    kwargs: dict[str, Any] = {"bank_accounts": dict(options.get("bank_accounts") or {})}
    limiter = overrides.pop("limiter", None)
    if callable(limiter) and not hasattr(limiter, "slot"):
        limiter = limiter()
    if limiter is not None:
        kwargs["limiter"] = limiter
    kwargs.update(overrides)
    return NetSuiteConnector(http, base_url=settings.base_url, account_id=settings.company_id,
                             auth=kwargs.pop("auth", None) or auth_for(settings, tokens, now=now), tokens=tokens,
                             **kwargs)
