"""Serve the NetSuite sandbox with one seeded OneWorld account.

``run()`` prints one JSON line first on standard output, with everything a
client needs (``platform``, ``base_url``, ``account_id``, TBA consumer and token
credentials, the OAuth 2.0 token URL, client id, certificate id and private
key), then serves until stopped. REST lives under ``base_url + "/services/rest"``.
With ``persist_path`` the account and credentials survive restarts.
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
from .app import create_app
from .models import NetSuiteState

KEYS = ("platform", "base_url", "account_id", "consumer_key", "consumer_secret", "token_id", "token_secret",
        "token_url", "client_id", "certificate_id", "private_key_pem")


def prepare(state: NetSuiteState, base_url: str, *, vendors: int = 5) -> dict:
    """Seed an account unless the (persisted) state has one; fresh credentials for it."""
    with state.lock:
        accounts = state.account_ids()
        account_id = accounts[0] if accounts else state.seed_account(vendors=vendors)
        info = state.credentials(account_id, base_url)
    return {key: info[key] for key in KEYS}


def run(host: str = "127.0.0.1", port: int = 0, *, persist_path: Path | str | None = None, vendors: int = 5,
        out: TextIO | None = None) -> None:
    """Serve until killed; port 0 picks a free port (the real one is reported)."""
    sock = bind_socket(host, port)
    base_url = f"http://{public_host(host)}:{sock.getsockname()[1]}"
    state = NetSuiteState(persist_path)
    info = prepare(state, base_url, vendors=vendors)
    stream = out or sys.stdout
    stream.write(json.dumps(info) + "\n")
    stream.flush()
    config = uvicorn.Config(create_app(state), log_level="warning", lifespan="off", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="NetSuite sandbox (SuiteTalk REST)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-file", default=None, help="keep the sandbox state in this JSON file")
    parser.add_argument("--vendors", type=int, default=5)
    args = parser.parse_args(argv)
    run(args.host, args.port, persist_path=args.state_file, vendors=args.vendors)


if __name__ == "__main__":
    main()
