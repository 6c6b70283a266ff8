"""NetSuite in the end-to-end suite: acting on the built-in NetSuite sandbox "from outside" (as a person in
NetSuite would) and injecting faults. Enrolled in ``PLATFORMS`` in ``conftest.py``."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billpay.sync import builtin_sandbox

from .platform_common import AccessTokenSignIn

#: The suite's record names -> NetSuite record types.
RECORD_TYPES = {"Bill": "vendorBill", "BillPayment": "vendorPayment", "Vendor": "vendor"}
#: The suite's field names -> NetSuite's.
FIELDS = {"due_date": "dueDate", "memo": "memo", "invoice_number": "tranId", "invoice_date": "tranDate"}


class NetSuitePlatform(AccessTokenSignIn):
    name = "netsuite"
    rotates_refresh_tokens = False  # OAuth 2.0 client credentials: a new access token, no refresh token
    reverses_payments = True
    merges_platform_edits = True
    #: API calls to replay one create as it was sent: the vendor's subsidiary, then the upsert by external id.
    calls_per_replay = 2

    def __init__(self, container, company_id: str):
        self.builtin = builtin_sandbox.get(container, "netsuite")
        self.state = self.builtin.state
        self.account = company_id  # the organization's own sandbox account

    @classmethod
    def connection_body(cls, container, org_id: str) -> dict:
        """The built-in sandbox, with the bank account for USD bill payments chosen (as an admin would)."""
        builtin = builtin_sandbox.get(container, "netsuite")
        acct = builtin.state.account(builtin.account_for(org_id))
        us = next(s["id"] for s in acct.values("subsidiary") if s.get("country") == "US")
        bank = next(a["id"] for a in acct.values("account") if a["acctType"] == "Bank" and a.get("subsidiary") == us)
        return {"platform": "netsuite", "sandbox": True, "options": {"bank_accounts": {"USD": bank}}}

    def faults(self, **kw):
        return self.state.set_faults(**kw)

    def create_bill(self, vendor_ext: str, amount: str, txn_date: dt.date, number: str, account_id: str) -> str:
        bill = self.state.create_as_user(self.account, "vendorBill", {
            "entity": {"id": vendor_ext}, "tranId": number, "tranDate": txn_date.isoformat(),
            "dueDate": (txn_date + dt.timedelta(days=30)).isoformat(),
            "expense": {"items": [{"account": {"id": account_id}, "amount": amount}]}})
        return bill["id"]

    def pay_elsewhere(self, bill_ext: str, amount=None) -> None:
        self.state.pay_bill_elsewhere(self.account, bill_ext, amount=amount)

    def delete_bill(self, bill_ext: str) -> None:
        self.state.delete_record(self.account, "vendorBill", bill_ext)

    def edit_bill(self, bill_ext: str, **changes) -> None:
        values = {FIELDS[k]: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in changes.items()}
        self.state.edit_as_user(self.account, "vendorBill", bill_ext, values)

    def touch_bill(self, bill_ext: str) -> None:
        self.state.touch(self.account, "vendorBill", bill_ext)

    def split_line(self, bill_ext: str) -> None:
        """A person splits the vendor bill's one expense line into two lines of the same total."""
        item = self.state.account(self.account).require("vendorBill", bill_ext)["expense"][0]
        first = (Decimal(str(item["amount"])) / 3).quantize(Decimal("0.01"))
        self.state.edit_as_user(self.account, "vendorBill", bill_ext, {"expense": {"items": [
            {"account": {"id": item["account"]}, "amount": str(amount)}
            for amount in (first, Decimal(str(item["amount"])) - first)]}})

    def count(self, entity: str) -> int:
        return self.state.count(self.account, RECORD_TYPES[entity])

    def api_calls(self) -> int:
        return int(self.state.request_stats()["total_api_calls"])

    def absorbed_retries(self) -> int:
        """Creates sent again after a lost answer that found the record already there (``PUT eid:`` upserts)."""
        return int(self.state.request_stats()["upserts_of_existing"])
