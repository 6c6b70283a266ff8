"""Serve the Business Central sandbox with one seeded company.

``run()`` prints one JSON line first on standard output — ``{"platform", "base_url", "tenant_id",
"environment", "company_id", "client_id", "client_secret", "token_url", "authority_host"}`` —
then serves until stopped. With ``persist_path`` the company, app and data survive restarts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

import uvicorn

from ..core import bind_socket
from ..core.serving import public_host
from .models import BusinessCentralState, connection_info
from .routes import create_app


def prepare(state: BusinessCentralState, base_url: str, *, vendors: int = 5) -> dict:
    """Seed a company and an enabled app unless the (persisted) state already has them; the connection info."""
    with state.lock:
        for tenant in state.tenants.values():
            for env in tenant.environments.values():
                for company in env.companies.values():
                    client_id = next((cid for cid, card in env.apps.items() if card["state"] == "Enabled"), None)
                    if client_id and state.directory.apps.get(client_id):
                        secret = state.directory.apps[client_id].secrets[-1]
                        return connection_info(base_url, tenant.id, env.name, company.id, client_id, secret)
        return state.seed(base_url, vendors=vendors)


def run(host: str = "127.0.0.1", port: int = 0, *, persist_path: Path | str | None = None, vendors: int = 5,
        out: TextIO | None = None) -> None:
    """Serve until killed; port 0 picks a free port (the real one is reported)."""
    sock = bind_socket(host, port)
    base_url = f"http://{public_host(host)}:{sock.getsockname()[1]}"
    state = BusinessCentralState(persist_path)
    info = prepare(state, base_url, vendors=vendors)
    stream = out or sys.stdout
    stream.write(json.dumps(info) + "\n")
    stream.flush()
    config = uvicorn.Config(create_app(state), log_level="warning", lifespan="off", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Business Central sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-file", default=None, help="keep the sandbox state in this JSON file")
    parser.add_argument("--vendors", type=int, default=5)
    args = parser.parse_args(argv)
    run(args.host, args.port, persist_path=args.state_file, vendors=args.vendors)


if __name__ == "__main__":
    main()
