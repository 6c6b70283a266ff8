"""Serve the Intacct sandbox with one seeded multi-entity company.

``run()`` prints one JSON line first on standard output with everything a
client needs (``base_url``, ``endpoint_url``, sender id and password, company
id, Web Services user and password, entity id), then serves until stopped.
With ``persist_path`` the company, its records and sessions survive restarts.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from ..core import serve_announced
from .models import IntacctState, connection_info
from .routes import create_app
from .seeds import US_ENTITY

SENDER_ID = "billpay_sandbox"
USER_ID = "billpay_ws"


def prepare(state: IntacctState, base_url: str, *, vendors: int = 5, bills: int = 0) -> dict:
    """Seed a sender, a company and a user unless the (persisted) state has them; the connection info."""
    with state.lock:
        if SENDER_ID in state.senders:
            sender_password = state.senders[SENDER_ID]
        else:
            _, sender_password = state.register_sender(SENDER_ID)
        companies = state.company_ids()
        company_id = companies[0] if companies else state.seed_company(vendors=vendors, bills_count=bills,
                                                                       senders=(SENDER_ID,))
        company = state.company(company_id)
        if USER_ID in company.users:
            user_password = company.users[USER_ID].password
        else:
            _, user_password = state.add_user(company_id, USER_ID)
        return connection_info(base_url, SENDER_ID, sender_password, company_id, USER_ID, user_password, US_ENTITY)


def run(host: str = "127.0.0.1", port: int = 0, *, persist_path: Path | str | None = None, vendors: int = 5,
        bills: int = 0, out: TextIO | None = None) -> None:
    """Serve until killed; port 0 picks a free port (the real one is reported)."""
    state = IntacctState(persist_path)
    serve_announced(host, port, lambda base_url: (create_app(state), prepare(state, base_url, vendors=vendors,
                                                                              bills=bills)), out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Sage Intacct XML gateway sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-file", default=None, help="keep the sandbox state in this JSON file")
    parser.add_argument("--vendors", type=int, default=5)
    parser.add_argument("--bills", type=int, default=0)
    args = parser.parse_args(argv)
    run(args.host, args.port, persist_path=args.state_file, vendors=args.vendors, bills=args.bills)


if __name__ == "__main__":
    main()
