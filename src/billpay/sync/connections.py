"""From a stored connection to a working connector: decrypted credentials, persisted token rotation."""
from __future__ import annotations

import datetime as dt
import threading

import httpx

from ..connectors import ConnectionSettings, build_connector
from ..connectors.base.auth import OAuthTokens
from ..db import tables as t
from ..services.sync_records import active_connection
from . import builtin_sandbox
from .ports import AccountingConnector


class DbTokenStore:
    """OAuth tokens kept encrypted in the connection row; each save is its own committed transaction."""

    def __init__(self, container, connection_id: str) -> None:  # noqa: ANN001
        self.container, self.connection_id = container, connection_id

    def _secrets(self, s) -> tuple[t.Connection, dict]:  # noqa: ANN001
        conn = s.get(t.Connection, self.connection_id)
        return conn, self.container.vault.decrypt_json(conn.secrets_enc)

    def load(self) -> OAuthTokens | None:
        with self.container.sessionmaker() as s:
            _, sec = self._secrets(s)
        tok = sec.get("tokens")
        if not tok:
            # Connected with a refresh token only (the connection body): the first call refreshes it.
            return OAuthTokens(access_token="", refresh_token=sec["refresh_token"]) if sec.get("refresh_token") \
                else None
        return OAuthTokens(access_token=tok.get("access_token") or "", refresh_token=tok["refresh_token"],
                           expires_at=dt.datetime.fromisoformat(tok["expires_at"]) if tok.get("expires_at") else None,
                           refresh_expires_at=dt.datetime.fromisoformat(tok["refresh_expires_at"])
                           if tok.get("refresh_expires_at") else None)

    def save(self, tokens: OAuthTokens) -> None:
        with self.container.sessionmaker() as s, s.begin():
            conn, sec = self._secrets(s)
            sec["tokens"] = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
                             "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
                             "refresh_expires_at": tokens.refresh_expires_at.isoformat()
                             if tokens.refresh_expires_at else None}
            conn.secrets_enc = self.container.vault.encrypt(sec)


_lock = threading.Lock()
# connection id + config -> facts the connector read once from the company (home currency, bank account)
_discovered: dict[tuple, dict] = {}


def http_client(container, conn: t.Connection) -> httpx.Client:  # noqa: ANN001
    if conn.sandbox:
        return httpx.Client(transport=builtin_sandbox.get(container, conn.platform).transport, timeout=30.0)
    return httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0), headers={"User-Agent": "billpay/0.1"})


def settings_of(container, conn: t.Connection) -> ConnectionSettings:  # noqa: ANN001
    """The stored connection with its secrets decrypted (never logged: secrets are hidden from repr)."""
    sec = container.vault.decrypt_json(conn.secrets_enc) if conn.secrets_enc else {}
    cfg = dict(conn.config or {})
    options = cfg.pop("options", None) or {}
    return ConnectionSettings(platform=conn.platform, company_id=str(cfg.get("company_id") or ""), config=cfg,
                              secrets={k: v for k, v in sec.items() if k != "tokens"}, options=options)


def connector_for(container, conn: t.Connection, **overrides) -> AccountingConnector:  # noqa: ANN001
    """Build the platform connector for a stored connection (tests may override per platform).

    Every factory receives ``discovered``: a dict kept per connection and configuration in which the
    connector may cache facts it read once from the company (home currency, bank account)."""
    factory = container.connector_overrides.get(conn.platform)
    if factory is not None:
        return factory(conn, container)
    cfg = conn.config or {}
    overrides = {**container.connector_options, **overrides}
    with _lock:
        facts = _discovered.setdefault((conn.id, repr(sorted(cfg.items()))), {})
    overrides.setdefault("discovered", facts)
    return build_connector(settings_of(container, conn), http=http_client(container, conn),
                           tokens=DbTokenStore(container, conn.id), **overrides)


def connection_row(session, org_id: str) -> t.Connection | None:  # noqa: ANN001
    """The organization's connected connection."""
    return active_connection(session, org_id)
