"""The Sage Intacct harness: ``IntacctConnector`` on the in-process Intacct sandbox.

The connector is built as the app builds it from a stored connection
(``billpay.connectors.build_connector``), signed in to entity E100 of a
seeded multi-entity company and paying from the US checking account. Faults,
counters and the clock go through the sandbox's HTTP control plane; edits "in
Intacct" use the sandbox's UI helpers. The sandbox clock starts frozen at a
fixed instant and only moves when a scenario moves it.
"""
from __future__ import annotations

import datetime as dt
from typing import ClassVar

import httpx

from billpay.connectors import ConnectionSettings, build_connector
from billpay.sandboxes.intacct import IntacctState, create_app, in_process_transport
from billpay.sync.ports import AccountingConnector

from .connector_harness import ConnectorHarness, Fault

SANDBOX_URL = "http://intacct.sandbox.test"
START = dt.datetime(2026, 11, 25, 17, 30, tzinfo=dt.timezone.utc)


class IntacctHarness(ConnectorHarness):
    platform: ClassVar[str] = "intacct"
    max_calls_for_1000_bills: ClassVar[int] = 15

    def __init__(self) -> None:
        super().__init__()
        self.state = IntacctState()
        self.state.clock.freeze(START)
        self.app = create_app(self.state)
        self.http = httpx.Client(transport=in_process_transport(self.app), base_url=SANDBOX_URL)
        self.seeded = self._control("POST", "/_sandbox/seed", {"vendors": 5})
        self.company_id = self.seeded["company_id"]
        self.discovered: dict = {}
        company = self.state.company(self.company_id)
        self.today = company.local(self.state.now()).date()
        self._inactive_vendor: str | None = None

    # -- the connector ----------------------------------------------------------------------------
    def settings(self) -> ConnectionSettings:
        info = self.seeded
        return ConnectionSettings(
            platform="intacct", company_id=info["company_id"],
            config={"endpoint_url": info["endpoint_url"], "sender_id": info["sender_id"], "user_id": info["user_id"],
                    "entity_id": info["entity_id"]},
            secrets={"sender_password": info["sender_password"], "user_password": info["user_password"]},
            options={"bank_accounts": {"USD": "BOA-USD"}})

    def connector(self, *, max_retries: int = 4) -> AccountingConnector:
        connector = build_connector(self.settings(), http=self.http, tokens=None, discovered=self.discovered,
                                    sleep=self.sleeps.append, max_retries=max_retries, now=self.state.now)
        connector.retry.random = lambda: 0.5  # type: ignore[attr-defined]
        return connector

    def close(self) -> None:
        self.http.close()

    # -- platform facts ----------------------------------------------------------------------------
    def vendor_id(self) -> str:
        return "V0001"

    def inactive_vendor_id(self) -> str:
        if self._inactive_vendor is None:
            self._inactive_vendor = "V0005"
            self._control("POST", f"/_sandbox/companies/{self.company_id}/vendor/V0005/status", {"status": "inactive"})
        return self._inactive_vendor

    def expense_account_id(self) -> str:
        return "6000"

    # -- acting from outside --------------------------------------------------------------------------
    def bill_count(self) -> int:
        return self.state.count(self.company_id, "APBILL")

    def edit_bill_outside(self, external_id: str, memo: str) -> None:
        self.advance_clock(2)  # a person takes a moment: WHENMODIFIED has whole seconds
        self._control("POST", f"/_sandbox/companies/{self.company_id}/bills/{external_id}/edit", {"DESCRIPTION": memo})

    def delete_bill_outside(self, external_id: str) -> None:
        self._control("POST", f"/_sandbox/companies/{self.company_id}/bills/{external_id}/delete")

    def pay_bill_outside(self, external_id: str) -> None:
        self.advance_clock(2)
        self._control("POST", f"/_sandbox/companies/{self.company_id}/bills/{external_id}/pay")

    def inject(self, fault: Fault, count: int = 1) -> None:
        settings = {
            "timeout_after_commit": {"timeout_after_commit": count},
            "rate_limited": {"throttle_next": count},
            "server_error": {"fail_next": {"count": count, "status": 503}},
        }[fault]
        self._control("POST", "/_sandbox/faults", settings)

    def expire_access_tokens(self) -> None:
        self._control("POST", "/_sandbox/faults", {"expire_sessions": True})

    def revoke_connection(self) -> None:
        self._control("DELETE", f"/_sandbox/companies/{self.company_id}/senders/{self.seeded['sender_id']}")

    def advance_clock(self, seconds: float) -> None:
        self._control("POST", "/_sandbox/clock", {"advance_seconds": seconds})

    def api_calls(self) -> int:
        return int(self._control("GET", "/_sandbox/requests")["total_api_calls"])

    def reset_calls(self) -> None:
        self._control("DELETE", "/_sandbox/requests")

    def stored_refresh_token(self) -> str:
        """Intacct has no refresh token: the credential the connector renews is its API session."""
        session = self.discovered.get("session")
        assert session is not None
        return session.session_id

    # -- helpers ------------------------------------------------------------------------------------------
    def _control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()
