"""Sage Intacct in the end-to-end suite: acting "from outside" on the built-in Intacct sandbox company of the
organization (as a person working in Intacct would) and injecting faults."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from billpay.db import tables as t
from billpay.sync import builtin_sandbox

from .platform_common import Platform

#: The e2e suite's canonical record names -> Intacct objects.
OBJECTS = {"Bill": "APBILL", "BillPayment": "APPYMT", "Vendor": "VENDOR"}
#: Canonical field names -> APBILL header fields.
FIELDS = {"due_date": "WHENDUE", "memo": "DESCRIPTION", "invoice_number": "RECORDID", "invoice_date": "WHENCREATED"}


class IntacctPlatform(Platform):
    name = "intacct"
    rotates_refresh_tokens = False  # sessions, no OAuth tokens
    calls_per_replay = 1  # the create and its read-back travel in one request

    def __init__(self, container, company_id: str):
        self.container = container
        self.state = builtin_sandbox.get(container, "intacct").state
        self.company = company_id  # the organization's own sandbox company
        with container.sessionmaker() as s:
            conn = s.scalars(select(t.Connection).where(t.Connection.platform == "intacct",
                                                        t.Connection.status == "connected")).all()
            self.entity = next((c.config.get("entity_id") for c in conn
                                if c.config.get("company_id") == company_id), None)

    @classmethod
    def connection_body(cls, container, org_id: str) -> dict:
        return {"platform": cls.name, "sandbox": True}

    def faults(self, **kw):
        return self.state.set_faults(**kw)

    def create_bill(self, vendor_ext: str, amount: str, txn_date: dt.date, number: str, account_id: str) -> str:
        bill = self.state.create_bill_outside(
            self.company, vendor_id=vendor_ext, when=txn_date, number=number,
            lines=[{"ACCOUNTNO": account_id, "TRX_AMOUNT": Decimal(amount), "LOCATIONID": self.entity or "L110"}])
        return str(bill["RECORDNO"])

    def pay_elsewhere(self, bill_ext: str, amount=None) -> None:
        self.state.pay_bill_elsewhere(self.company, bill_ext, **({"amount": amount} if amount is not None else {}))

    def delete_bill(self, bill_ext: str) -> None:
        self.state.delete_bill(self.company, bill_ext)

    def edit_bill(self, bill_ext: str, **changes) -> None:
        values = {FIELDS[k]: (dt.date.fromisoformat(v) if isinstance(v, str) and k.endswith("_date") else v)
                  for k, v in changes.items()}
        self.state.edit_bill(self.company, bill_ext, **values)

    def touch_bill(self, bill_ext: str) -> None:
        self.state.touch(self.company, "APBILL", bill_ext)

    def count(self, entity: str) -> int:
        return self.state.count(self.company, OBJECTS[entity])

    def api_calls(self) -> int:
        return int(self.state.request_stats()["total_api_calls"])

    def absorbed_retries(self) -> int:
        """Writes the platform answered without executing them again (refused repeats of a control id)."""
        return int(self.state.request_stats()["replayed"])

    # -- signing in ------------------------------------------------------------------------------------------
    def sign_in_marker(self, container) -> int:
        return self._sign_ins()

    def expire_sign_in(self) -> None:
        self.state.set_faults(expire_sessions=True)

    def check_sign_in_renewed(self, container, before: int) -> None:
        assert self._sign_ins() > before  # a new session replaced the expired one
        with container.sessionmaker() as s:
            conn = s.scalars(select(t.Connection).where(t.Connection.platform == "intacct")).one()
            stored = container.vault.decrypt_json(conn.secrets_enc)
        assert stored["user_password"] and stored["user_password"] not in (conn.secrets_enc or "")
        assert "user_password" not in (conn.config or {})  # secrets only ever encrypted

    def _sign_ins(self) -> int:
        return sum(n for kind, n in self.state.request_stats()["by_kind"].items() if "getAPISession" in kind)
