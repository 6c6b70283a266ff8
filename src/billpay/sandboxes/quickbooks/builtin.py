"""The QuickBooks sandbox as built-in demo equipment (``registry.BuiltinSandbox``).

One state per installation, kept in its database and shared by every process
(``sandboxes.core.shared``); the web app mounts its app at ``/sandbox/quickbooks``
and connections marked ``sandbox`` reach it in-process.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..core.shared import shared_lock_for
from . import in_process_transport
from .models import QuickBooksState, connection_info
from .routes import create_app

MOUNT = "/sandbox/quickbooks"


class QuickBooksBuiltin:
    platform = "quickbooks"

    def __init__(self, persist_path: Path | None) -> None:
        self._state = QuickBooksState(persist_path=persist_path)
        self._app = create_app(self._state)
        self._transport = in_process_transport(self._app, root_path=MOUNT)

    @property
    def state(self) -> QuickBooksState:
        return self._state

    @property
    def app(self) -> Any:
        return self._app

    @property
    def transport(self) -> Any:
        return self._transport

    def provision(self, org_key: str, base_url: str) -> dict:
        """The connection body of ``org_key``'s own sandbox company (seeded, with an app, on first use): the
        keys ``billpay sandbox quickbooks`` prints, with a fresh refresh token, and the connection's ``options``
        with the bank account for home-currency bill payments chosen."""
        st = self._state
        with st.lock:
            realm, client_id, client_secret = st.provision(org_key)
            refresh = st.issue_refresh_token(client_id, realm)
        info = connection_info(base_url, client_id, client_secret)
        # As an admin would on first connecting: bill payments in the home currency from the checking account.
        home = st.company(realm).settings.home_currency
        checking = next((a["Id"] for a in st.company(realm).values("Account")
                         if a.get("AccountType") == "Bank" and a.get("Active", True)), None)
        options = {"bank_accounts": {home: checking}} if checking else {}
        return {**info, "realm_id": realm, "refresh_token": refresh, "options": options}


def create(container: Any) -> QuickBooksBuiltin:
    builtin = QuickBooksBuiltin(None)
    builtin.state.share(shared_lock_for(container.engine, "quickbooks", builtin.state))
    return builtin
