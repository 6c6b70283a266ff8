"""Business Central in the end-to-end suite: the built-in Business Central sandbox, acted on "from outside"
as a person in Business Central would (enter and post a purchase invoice, pay it from a payment journal,
cancel it, change its due date)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billpay.sync import builtin_sandbox

from .platform_common import AccessTokenSignIn


class BusinessCentralPlatform(AccessTokenSignIn):
    name = "business_central"
    #: Client credentials: a new access token, no refresh token to rotate.
    rotates_refresh_tokens = False
    empty_reference_kinds: tuple[str, ...] = ()
    #: A create sent again: the lookup on the business key finds what the first one wrote.
    calls_per_create = 1
    #: No idempotency key in Business Central: a lookup on vendor + vendor invoice number before each create.
    idempotent_creates = False
    #: API v2.0 shows a partly paid purchase invoice as Open, with no remaining amount.
    partial_payments_visible = False
    #: A posted purchase invoice's dates are fixed in Business Central (a person cancels and re-enters it).
    can_edit_invoice_date = False

    def __init__(self, container, company_id: str):
        self.state = builtin_sandbox.get(container, self.name).state
        self.company_id = company_id  # the organization's own sandbox company

    @classmethod
    def connection_body(cls, container, org_id: str) -> dict:
        """billpay records vendor payments in the journal the organization chose (the seeded CHECKING journal)."""
        return {"platform": cls.name, "sandbox": True, "options": {"payment_journal": "CHECKING"}}

    def faults(self, **kw):
        return self.state.set_faults(**kw)

    def create_bill(self, vendor_ext: str, amount: str, txn_date: dt.date, number: str, account_id: str) -> str:
        invoice = self.state.create_invoice(self.company_id, vendor_ext, [(account_id, Decimal(amount), "Services")],
                                            invoice_date=txn_date, vendor_invoice_number=number,
                                            due_date=txn_date + dt.timedelta(days=30))
        return invoice["id"]

    def pay_elsewhere(self, bill_ext: str, amount=None) -> None:
        self.state.pay_invoice(self.company_id, bill_ext, amount=amount)

    def delete_bill(self, bill_ext: str) -> None:
        """A posted purchase invoice cannot be deleted in BC: it is cancelled (a corrective credit memo)."""
        self.state.cancel_invoice(self.company_id, bill_ext)

    def edit_bill(self, bill_ext: str, **changes) -> None:
        """``due_date`` and ``memo`` (what a person may change on a posted invoice)."""
        self.state.edit_invoice(self.company_id, bill_ext, **changes)

    def touch_bill(self, bill_ext: str) -> None:
        self.state.touch(self.company_id, "purchaseInvoices", bill_ext)

    def count(self, entity: str) -> int:
        if entity == "Bill":
            return len(self.state.invoices(self.company_id))
        if entity == "BillPayment":
            return len(self.state.posted_payments(self.company_id))
        raise ValueError(f"no {entity} in Business Central")

    def api_calls(self) -> int:
        return int(self.state.request_stats()["total_api_calls"])

    def absorbed_retries(self) -> int:
        """1 when the injected timeout after commit fired (BC has no replay: the connector's lookup on the
        business key found the invoice it wrote, instead of writing it again)."""
        return int(self.state.fault_settings()["timeout_after_commit"] == 0)
