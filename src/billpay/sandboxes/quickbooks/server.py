"""Serve the QuickBooks sandbox with one seeded company.

``run()`` prints one JSON line first on standard output, with everything a
client needs (base URL, OAuth endpoints, client credentials, realm id, a
refresh token), then serves until stopped. With ``persist_path`` the company,
app and tokens survive restarts.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from ..core import serve_announced
from .models import QuickBooksState, connection_info
from .routes import create_app


def prepare(state: QuickBooksState, base_url: str, *, vendors: int = 5, bills: int = 0) -> dict:
    """Seed a company and an app unless the (persisted) state already has them; the connection info."""
    with state.lock:
        realms = state.realm_ids()
        realm_id = realms[0] if realms else state.seed_company(vendors=vendors, bills=bills)
        clients = list(state.tokens.clients.values())
        if clients:
            client_id, client_secret = clients[0].client_id, clients[0].client_secret
        else:
            client_id, client_secret = state.register_client()
        info = connection_info(base_url, client_id, client_secret)
        keys = (
            "platform",
            "base_url",
            "token_url",
            "authorize_url",
            "discovery_url",
            "client_id",
            "client_secret",
        )
        return {
            **{k: info[k] for k in keys},
            "realm_id": realm_id,
            "refresh_token": state.issue_refresh_token(client_id, realm_id),
            "redirect_uri": info["redirect_uri"],
            "revoke_url": info["revoke_url"],
            "api_base_url": info["api_base_url"],
        }


def run(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    persist_path: Path | str | None = None,
    vendors: int = 5,
    bills: int = 0,
    out: TextIO | None = None,
) -> None:
    """Serve until killed; port 0 picks a free port (the real one is reported)."""
    state = QuickBooksState(persist_path)
    serve_announced(host, port, lambda base_url: (create_app(state), prepare(state, base_url, vendors=vendors,
                                                                              bills=bills)), out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="QuickBooks Online sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-file", default=None, help="keep the sandbox state in this JSON file")
    parser.add_argument("--vendors", type=int, default=5)
    parser.add_argument("--bills", type=int, default=0)
    args = parser.parse_args(argv)
    run(args.host, args.port, persist_path=args.state_file, vendors=args.vendors, bills=args.bills)


if __name__ == "__main__":
    main()
