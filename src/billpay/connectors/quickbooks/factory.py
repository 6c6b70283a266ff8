"""Registry factory: a stored connection -> ``QuickBooksConnector``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from billpay.connectors.base.auth import TokenStore
from billpay.connectors.quickbooks.connector import QuickBooksConnector

if TYPE_CHECKING:
    from billpay.connectors import ConnectionSettings


def build(settings: ConnectionSettings, *, http: httpx.Client, tokens: TokenStore,
          **overrides: Any) -> QuickBooksConnector:
    options = dict(settings.options)
    kwargs: dict[str, Any] = {}
    if "minorversion" in options:
        kwargs["minorversion"] = int(options["minorversion"])
    if options.get("bank_accounts"):
        kwargs["bank_accounts"] = dict(options["bank_accounts"])
    if settings.get("revoke_url"):
        kwargs["revoke_url"] = str(settings.get("revoke_url"))
    limiter = overrides.pop("limiter", None)
    if callable(limiter) and not hasattr(limiter, "slot"):
        limiter = limiter()  # a factory of limiters
    if limiter is not None:
        kwargs["limiter"] = limiter
    kwargs.update(overrides)
    return QuickBooksConnector(
        http,
        base_url=settings.base_url,
        token_url=settings.token_url,
        realm_id=settings.company_id,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        tokens=tokens,
        **kwargs,
    )
