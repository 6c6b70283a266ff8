"""The QuickBooks Online harness: ``QuickBooksConnector`` on the in-process QuickBooks sandbox.

The connector is built exactly as the app builds it from a stored
connection (``billpay.connectors.build_connector``). Faults, counters and
the clock go through the sandbox's HTTP control plane (``/_sandbox/...``);
edits "in QuickBooks" use the sandbox's UI helpers.
"""
from __future__ import annotations

from typing import ClassVar

import httpx

from billpay.connectors import ConnectionSettings, build_connector
from billpay.connectors.base import InMemoryTokenStore, OAuthTokens
from billpay.sandboxes.quickbooks import QuickBooksState, create_app, in_process_transport
from billpay.sync.ports import AccountingConnector

from .connector_harness import ConnectorHarness, Fault

SANDBOX_URL = "http://quickbooks.sandbox.test"


class QuickBooksHarness(ConnectorHarness):
    platform: ClassVar[str] = "quickbooks"
    max_calls_for_1000_bills: ClassVar[int] = 40

    def __init__(self) -> None:
        super().__init__()
        self.state = QuickBooksState()
        self.app = create_app(self.state)
        self.http = httpx.Client(transport=in_process_transport(self.app), base_url=SANDBOX_URL)
        seeded = self._control("POST", "/_sandbox/seed", {"vendors": 5})
        self.realm_id = str(seeded["realm_id"])
        self.seeded = seeded
        self.tokens = InMemoryTokenStore(OAuthTokens(access_token="", refresh_token=seeded["refresh_token"]))
        self.today = self.state.now().date()
        self._vendor_ids = [v["Id"] for v in self._query("Vendor", "Active = true")]
        self._inactive_vendor: str | None = None

    # -- the connector ----------------------------------------------------------------
    def settings(self) -> ConnectionSettings:
        info = self.seeded
        return ConnectionSettings(
            platform="quickbooks",
            company_id=self.realm_id,
            config={"base_url": _first(info, "base_url", "api_base_url"),
                    "token_url": _first(info, "token_url", "token_endpoint"), "client_id": info["client_id"]},
            secrets={"client_secret": info["client_secret"]},
            options={"bank_accounts": {"USD": self._query("Account", "AccountType = 'Bank'")[0]["Id"]}},
        )

    def connector(self, *, max_retries: int = 4) -> AccountingConnector:
        connector = build_connector(
            self.settings(), http=self.http, tokens=self.tokens,
            sleep=self.sleeps.append, max_retries=max_retries, now=self.state.now,
        )
        connector.retry.random = lambda: 0.5  # type: ignore[attr-defined]
        return connector

    def close(self) -> None:
        self.http.close()

    # -- platform facts ----------------------------------------------------------------
    def vendor_id(self) -> str:
        return self._vendor_ids[0]

    def inactive_vendor_id(self) -> str:
        if self._inactive_vendor is None:
            self._inactive_vendor = self._vendor_ids[-1]
            self.state.deactivate_vendor(self.realm_id, self._inactive_vendor)
        return self._inactive_vendor

    def expense_account_id(self) -> str:
        return next(a["Id"] for a in self._query("Account", "AccountType = 'Expense'"))

    # -- acting from outside ----------------------------------------------------------
    def bill_count(self) -> int:
        return len(self._query("Bill"))

    def edit_bill_outside(self, external_id: str, memo: str) -> None:
        self.state.set_bill_memo(self.realm_id, external_id, memo)

    def delete_bill_outside(self, external_id: str) -> None:
        self.state.delete_bill(self.realm_id, external_id)

    def pay_bill_outside(self, external_id: str) -> None:
        self.state.pay_bill_elsewhere(self.realm_id, external_id)

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
        response = self.http.post(
            self.seeded["revoke_url"], json={"token": self.stored_refresh_token()},
            auth=(self.seeded["client_id"], self.seeded["client_secret"]),
            headers={"Accept": "application/json"},
        )
        response.raise_for_status()

    def advance_clock(self, seconds: float) -> None:
        self._control("POST", "/_sandbox/clock", {"advance_seconds": seconds})

    def api_calls(self) -> int:
        return int(self._control("GET", "/_sandbox/requests")["total_api_calls"])

    def reset_calls(self) -> None:
        self._control("DELETE", "/_sandbox/requests")

    def stored_refresh_token(self) -> str:
        tokens = self.tokens.load()
        assert tokens is not None
        return tokens.refresh_token

    # -- helpers -------------------------------------------------------------------------
    def _control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()

    def _query(self, entity: str, where: str = "") -> list[dict]:
        text = f"SELECT * FROM {entity}" + (f" WHERE {where}" if where else "") + " MAXRESULTS 1000"
        return self.state.query(self.realm_id, text).get(entity, [])


def _first(info: dict, *names: str) -> str:
    for name in names:
        if info.get(name):
            return str(info[name])
    raise KeyError(f"sandbox connection info has none of {names}: {sorted(info)}")

