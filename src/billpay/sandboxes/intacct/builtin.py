"""The Intacct sandbox as built-in demo equipment (``registry.BuiltinSandbox``).

One state per installation, kept in the data directory, mounted at
``/sandbox/intacct``. Each organization gets its own seeded multi-entity
company (created on first use), reached with the installation's sender and
its own Web Services user.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from . import in_process_transport
from .models import IntacctState, connection_info
from .routes import create_app
from .seeds import US_BANK, US_ENTITY

MOUNT = "/sandbox/intacct"
SENDER_ID = "billpay_builtin"
USER_ID = "billpay_ws"


class IntacctBuiltin:
    platform = "intacct"

    def __init__(self, persist_path: Path | None) -> None:
        self._state = IntacctState(persist_path=persist_path)
        self._app = create_app(self._state)
        self._transport = in_process_transport(self._app, root_path=MOUNT)

    @property
    def state(self) -> IntacctState:
        return self._state

    @property
    def app(self) -> Any:
        return self._app

    @property
    def transport(self) -> Any:
        return self._transport

    def provision(self, org_key: str, base_url: str) -> dict:
        """Credentials for the organization's own sandbox company (seeded on first use), plus the bank
        account the demo pays from, as connection options."""
        st = self._state
        company_id = "BP-" + hashlib.sha256(org_key.encode()).hexdigest()[:10].upper()
        with st.lock:
            if SENDER_ID not in st.senders:
                st.register_sender(SENDER_ID)
            if company_id not in st.company_ids():
                st.seed_company(company_id, senders=(SENDER_ID,))
            company = st.company(company_id)
            if USER_ID in company.users:
                user_password = company.users[USER_ID].password
            else:
                _, user_password = st.add_user(company_id, USER_ID)
            info = connection_info(base_url, SENDER_ID, st.senders[SENDER_ID], company_id, USER_ID, user_password,
                                   US_ENTITY)
        return {**info, "options": {"bank_accounts": {"USD": US_BANK}}}


def create(container: Any) -> IntacctBuiltin:
    return IntacctBuiltin(container.settings.data_dir / "sandbox-intacct.json")
