"""The NetSuite sandbox as built-in demo equipment (``registry.BuiltinSandbox``).

One state per installation, kept in its database and shared by every process
(``sandboxes.core.shared``); the web app mounts its app at ``/sandbox/netsuite``
and connections marked ``sandbox`` reach it in-process. Each organization gets its own seeded OneWorld account, so
organizations never see each other's bills.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..core.shared import shared_lock_for
from . import in_process_transport
from .app import create_app
from .models import NetSuiteState

MOUNT = "/sandbox/netsuite"


class NetSuiteBuiltin:
    platform = "netsuite"

    def __init__(self, persist_path: Path | None) -> None:
        self._state = NetSuiteState(persist_path=persist_path)
        self._app = create_app(self._state)
        self._transport = in_process_transport(self._app, root_path=MOUNT)

    @property
    def state(self) -> NetSuiteState:
        return self._state

    @property
    def app(self) -> Any:
        return self._app

    @property
    def transport(self) -> Any:
        return self._transport

    def account_for(self, org_key: str) -> str:
        """The account of one organization (created and seeded on first use)."""
        with self._state.lock:
            wanted = _account_id(org_key)
            if wanted not in self._state.account_ids():
                self._state.seed_account(wanted, name=f"Sandbox company {wanted}")
            return wanted

    def provision(self, org_key: str, base_url: str) -> dict:
        """Credentials (TBA and OAuth 2.0) for the organization's own sandbox account."""
        return self._state.credentials(self.account_for(org_key), base_url)


def _account_id(org_key: str) -> str:
    """A stable account id per organization (the same after a restart)."""
    number = int(hashlib.sha256(org_key.encode()).hexdigest(), 16) % 9_000_000 + 1_000_000
    return f"{number}_SB1"


def create(container: Any) -> NetSuiteBuiltin:
    builtin = NetSuiteBuiltin(None)
    builtin.state.share(shared_lock_for(container.engine, "netsuite", builtin.state))
    return builtin
