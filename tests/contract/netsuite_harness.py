"""The NetSuite harness: ``NetSuiteConnector`` on the in-process NetSuite sandbox, signing in with OAuth 2.0
client credentials (Oracle's preferred method; TBA is covered by the unit and end-to-end tests).

The connector is built as the app builds it from a stored connection (``build_connector``), with the bank
account for USD bill payments chosen in the connection's options. NetSuite has no refresh token:
``stored_refresh_token`` is the access token the connector's token store holds, which changes each time the
connector signs in again.
"""
from __future__ import annotations

from typing import ClassVar

import httpx

from billpay.connectors import ConnectionSettings, build_connector
from billpay.connectors.base import InMemoryTokenStore
from billpay.sandboxes.netsuite import NetSuiteState, create_app, in_process_transport
from billpay.sync.ports import AccountingConnector

from .connector_harness import ConnectorHarness, Fault

SANDBOX_URL = "https://1234567-sb1.suitetalk.sandbox.test"


class NetSuiteHarness(ConnectorHarness):
    platform: ClassVar[str] = "netsuite"
    # No batch API: one request per bill, plus the vendor and currency look-ups of the push.
    max_calls_for_1000_bills: ClassVar[int] = 1005

    def __init__(self) -> None:
        super().__init__()
        self.state = NetSuiteState()
        self.app = create_app(self.state)
        self.http = httpx.Client(transport=in_process_transport(self.app), base_url=SANDBOX_URL)
        self.seeded = self._control("POST", "/_sandbox/seed", {"vendors": 5})
        self.account_id = self.seeded["account_id"]
        self.acct = self.state.account(self.account_id)
        self.tokens = InMemoryTokenStore()
        self.today = self.state.today()
        self.us = next(s["id"] for s in self.acct.values("subsidiary") if s.get("country") == "US")
        self._vendor_ids = [v["id"] for v in self.acct.values("vendor") if v["subsidiary"] == self.us]
        self._inactive_vendor: str | None = None
        self.bank_usd = next(a["id"] for a in self.acct.values("account")
                             if a["acctType"] == "Bank" and a.get("subsidiary") == self.us)

    # -- the connector ----------------------------------------------------------------------------
    def settings(self) -> ConnectionSettings:
        info = self.seeded
        return ConnectionSettings(
            platform="netsuite", company_id=self.account_id,
            config={k: info[k] for k in ("base_url", "token_url", "client_id", "certificate_id", "account_id")},
            secrets={"private_key_pem": info["private_key_pem"]},
            options={"bank_accounts": {"USD": self.bank_usd}})

    def connector(self, *, max_retries: int = 4) -> AccountingConnector:
        connector = build_connector(self.settings(), http=self.http, tokens=self.tokens,
                                    sleep=self.sleeps.append, max_retries=max_retries, now=self.state.now)
        connector.retry.random = lambda: 0.5  # type: ignore[attr-defined]
        return connector

    def close(self) -> None:
        self.http.close()

    # -- platform facts -------------------------------------------------------------------------------
    def vendor_id(self) -> str:
        return self._vendor_ids[0]

    def inactive_vendor_id(self) -> str:
        if self._inactive_vendor is None:
            self._inactive_vendor = self._vendor_ids[-1]
            self.state.edit_as_user(self.account_id, "vendor", self._inactive_vendor, {"isInactive": True})
        return self._inactive_vendor

    def expense_account_id(self) -> str:
        return next(a["id"] for a in self.acct.values("account")
                    if a["acctType"] == "Expense" and not a.get("isInactive"))

    # -- acting from outside ------------------------------------------------------------------------
    def bill_count(self) -> int:
        return self.state.count(self.account_id, "vendorBill")

    def edit_bill_outside(self, external_id: str, memo: str) -> None:
        self.state.edit_as_user(self.account_id, "vendorBill", external_id, {"memo": memo})

    def delete_bill_outside(self, external_id: str) -> None:
        self.state.delete_record(self.account_id, "vendorBill", external_id)

    def pay_bill_outside(self, external_id: str) -> None:
        self.state.pay_bill_elsewhere(self.account_id, external_id)

    def inject(self, fault: Fault, count: int = 1) -> None:
        settings = {
            "timeout_after_commit": {"timeout_after_commit": count},
            "rate_limited": {"throttle_next": count},
            "server_error": {"fail_next": {"count": count, "status": 503}},
        }[fault]
        self._control("POST", "/_sandbox/faults", settings)

    def expire_access_tokens(self) -> None:
        self._control("POST", "/_sandbox/faults", {"expire_tokens": True})

    def revoke_connection(self) -> None:
        self._control("POST", f"/_sandbox/accounts/{self.account_id}/revoke")

    def advance_clock(self, seconds: float) -> None:
        self._control("POST", "/_sandbox/clock", {"advance_seconds": seconds})

    def api_calls(self) -> int:
        return int(self._control("GET", "/_sandbox/requests")["total_api_calls"])

    def reset_calls(self) -> None:
        self._control("DELETE", "/_sandbox/requests")

    def stored_refresh_token(self) -> str:
        tokens = self.tokens.load()
        assert tokens is not None
        return tokens.access_token

    # -- helpers ------------------------------------------------------------------------------------
    def _control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()
