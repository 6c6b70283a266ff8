"""The Business Central harness: ``BusinessCentralConnector`` on the in-process Business Central sandbox.

The connector is built as the app builds it from a stored connection
(``billpay.connectors.build_connector``), with the payment journal chosen in the connection's
options. Faults, counters and the clock go through the sandbox's HTTP control plane; what a person
does in Business Central (pay an invoice, cancel it, block a vendor) goes through the sandbox's
"Business Central UI" helpers.

Business Central differs from QuickBooks where the suite asks (``update_keeps_external_id``): a
posted purchase invoice cannot change, so a re-sync of its coding cancels it with a corrective
credit memo and posts a new invoice; "deleting" a posted invoice in BC is cancelling it.
"""
from __future__ import annotations

from typing import ClassVar

import httpx

from billpay.connectors import ConnectionSettings, build_connector
from billpay.connectors.base import InMemoryTokenStore
from billpay.sandboxes.business_central import BusinessCentralState, create_app, in_process_transport
from billpay.sync.ports import AccountingConnector

from .connector_harness import ConnectorHarness, Fault

SANDBOX_URL = "http://business-central.sandbox.test"


class BusinessCentralHarness(ConnectorHarness):
    platform: ClassVar[str] = "business_central"
    # per 100 bills: one lookup batch, one create batch, one look-again batch (twin drafts), two post-and-read
    # batches; plus company facts
    max_calls_for_1000_bills: ClassVar[int] = 55
    update_keeps_external_id: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self.state = BusinessCentralState()
        self.app = create_app(self.state)
        self.http = httpx.Client(transport=in_process_transport(self.app), base_url=SANDBOX_URL)
        self.seeded = self._control("POST", "/_sandbox/seed", {"vendors": 5})
        self.company_id = self.seeded["company_id"]
        self.tokens = InMemoryTokenStore()
        self.today = self.state.today()
        company = self.state.company(self.company_id)
        self._vendor_ids = [v["id"] for v in company.rows("vendors")]
        self._inactive_vendor: str | None = None

    # -- the connector ----------------------------------------------------------------------------------
    def settings(self) -> ConnectionSettings:
        info = self.seeded
        return ConnectionSettings(
            platform="business_central", company_id=self.company_id,
            config={k: info[k] for k in ("base_url", "tenant_id", "environment", "client_id", "token_url")},
            secrets={"client_secret": info["client_secret"]},
            options={"payment_journal": "CHECKING"},
        )

    def connector(self, *, max_retries: int = 4) -> AccountingConnector:
        connector = build_connector(self.settings(), http=self.http, tokens=self.tokens, sleep=self.sleeps.append,
                                    max_retries=max_retries, now=self.state.now)
        connector.retry.random = lambda: 0.5  # type: ignore[attr-defined]
        return connector

    def close(self) -> None:
        self.http.close()

    # -- platform facts ---------------------------------------------------------------------------------
    def vendor_id(self) -> str:
        return self._vendor_ids[0]

    def inactive_vendor_id(self) -> str:
        if self._inactive_vendor is None:
            self._inactive_vendor = self._vendor_ids[-1]
            self.state.block_vendor(self.company_id, self._inactive_vendor, "All")
        return self._inactive_vendor

    def expense_account_id(self) -> str:
        company = self.state.company(self.company_id)
        return next(a["id"] for a in company.rows("accounts") if a["number"] == "60100")

    # -- acting from outside ----------------------------------------------------------------------------
    def bill_count(self) -> int:
        return len(self.state.invoices(self.company_id))

    def edit_bill_outside(self, external_id: str, memo: str) -> None:
        self.state.edit_invoice(self.company_id, external_id, memo=memo)

    def delete_bill_outside(self, external_id: str) -> None:
        """A person cancels the posted invoice (BC's Cancel: a corrective credit memo); a draft is deleted."""
        invoice = next(i for i in self.state.invoices(self.company_id, include_canceled=True) if i["id"] == external_id)
        if invoice["status"] == "Draft":
            self.state.delete_draft(self.company_id, external_id)
        else:
            self.state.cancel_invoice(self.company_id, external_id)

    def pay_bill_outside(self, external_id: str) -> None:
        self.state.pay_invoice(self.company_id, external_id)

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
        """An admin disables billpay's app on the Microsoft Entra Applications page."""
        info = self.seeded
        self._control("PUT", f"/_sandbox/tenants/{info['tenant_id']}/environments/{info['environment']}/"
                      f"entra-applications/{info['client_id']}", {"state": "Disabled"})

    def advance_clock(self, seconds: float) -> None:
        self._control("POST", "/_sandbox/clock", {"advance_seconds": seconds})

    def api_calls(self) -> int:
        return int(self._control("GET", "/_sandbox/requests")["total_api_calls"])

    def reset_calls(self) -> None:
        self._control("DELETE", "/_sandbox/requests")

    def stored_refresh_token(self) -> str:
        """Client credentials have no refresh token: the access token the store holds is the secret here."""
        tokens = self.tokens.load()
        assert tokens is not None
        return tokens.access_token

    # -- helpers ----------------------------------------------------------------------------------------
    def _control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()
