"""A real stack: the API, the outbox worker, the QuickBooks connector and the QuickBooks sandbox in-process."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from billpay.connectors import registry
from billpay.services.orgs import create_organization
from billpay.sync import builtin_sandbox
from billpay.sync.connections import connection_row, connector_for
from billpay.sync.worker import run_until_idle
from billpay.web.app import create_app

from ..api.conftest import Org, verified_by_colleague
from .platform_business_central import BusinessCentralPlatform
from .platform_common import AccessTokenSignIn
from .platform_intacct import IntacctPlatform
from .platform_netsuite import NetSuitePlatform


class QuickBooksPlatform(AccessTokenSignIn):
    """Acting on the platform "from outside" (as a person in QuickBooks would) and injecting faults.

    A new platform enrols in the end-to-end suite by adding a class with these
    methods to ``PLATFORMS``.
    """

    name = "quickbooks"
    rotates_refresh_tokens = True
    reverses_payments = True
    merges_platform_edits = True
    #: The suite's field names -> QuickBooks'.
    FIELDS = {"due_date": "DueDate", "memo": "PrivateNote", "invoice_number": "DocNumber", "invoice_date": "TxnDate"}
    #: Reference kinds the seeded company has none of (QuickBooks keeps locations as departments).
    empty_reference_kinds: tuple[str, ...] = ("locations",)
    #: A person can move a bill's date on the platform.
    can_edit_invoice_date = True
    #: API calls to replay one create as it was sent (the batch, answered from its ``requestid``).
    calls_per_replay = 1

    def __init__(self, container, company_id: str):
        self.state = builtin_sandbox.get(container, self.name).state
        self.realm = company_id  # the organization's own sandbox company

    @classmethod
    def connection_body(cls, container, org_id: str) -> dict:
        return {"platform": cls.name, "sandbox": True}

    def faults(self, **kw):
        return self.state.set_faults(**kw)

    def create_bill(self, vendor_ext: str, amount: str, txn_date: dt.date, number: str, account_id: str) -> str:
        bill = self.state.create(self.realm, "Bill", {
            "VendorRef": {"value": vendor_ext}, "TxnDate": txn_date.isoformat(), "DocNumber": number,
            "DueDate": (txn_date + dt.timedelta(days=30)).isoformat(),
            "Line": [{"Amount": amount, "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account_id}}}]})
        return bill["Id"]

    def pay_elsewhere(self, bill_ext: str, amount=None) -> None:
        self.state.pay_bill_elsewhere(self.realm, bill_ext, amount=amount)

    def delete_bill(self, bill_ext: str) -> None:
        self.state.delete_bill(self.realm, bill_ext)

    def edit_bill(self, bill_ext: str, **changes) -> None:
        values = {self.FIELDS[k]: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in changes.items()}
        self.state.edit_as_user(self.realm, "Bill", bill_ext, values)

    def touch_bill(self, bill_ext: str) -> None:
        self.state.touch(self.realm, "Bill", bill_ext)

    def split_line(self, bill_ext: str) -> None:
        """A person splits the bill's one expense line into two lines of the same total."""
        line = self.state.get_entity(self.realm, "Bill", bill_ext)["Line"][0]
        first = (Decimal(str(line["Amount"])) / 3).quantize(Decimal("0.01"))
        account = line["AccountBasedExpenseLineDetail"]["AccountRef"]
        self.state.edit_as_user(self.realm, "Bill", bill_ext, {"Line": [
            {"Amount": amount, "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": account}}
            for amount in (first, Decimal(str(line["Amount"])) - first)]})

    def count(self, entity: str) -> int:
        r = self.state.query(self.realm, f"select count(*) from {entity}")
        return int(r.get("QueryResponse", r)["totalCount"])

    def api_calls(self) -> int:
        return int(self.state.request_stats()["total_api_calls"])

    def absorbed_retries(self) -> int:
        """Writes sent again after a lost answer that the platform answered from its ``requestid`` memory."""
        return int(self.state.request_stats()["replayed"])

    def set_company_settings(self, **settings) -> None:
        """``home_currency="EUR"``, ``book_close_date="2026-11-15"`` (None reopens the books)."""
        self.state.set_company_settings(self.realm, **settings)

    def add_bank_account(self, name: str, currency: str) -> str:
        return self.state.create(self.realm, "Account", {"Name": name, "AccountType": "Bank",
                                                         "AccountSubType": "Checking",
                                                         "CurrencyRef": {"value": currency}})["Id"]

    def records(self, entity: str) -> list[dict]:
        return list(self.state.query(self.realm, f"select * from {entity}").get(entity) or [])

    def read(self, entity: str, ext_id: str) -> dict:
        (row,) = self.state.query(self.realm, f"select * from {entity} where Id = '{ext_id}'")[entity]
        return row


PLATFORMS = [QuickBooksPlatform, NetSuitePlatform, IntacctPlatform, BusinessCentralPlatform]


class Stack:
    def __init__(self, container, org: Org, platform):
        self.container, self.org, self.platform = container, org, platform

    def work(self) -> int:
        return run_until_idle(self.container)

    def connector(self):
        with self.container.sessionmaker() as s:
            conn = connection_row(s, self.org.id)
        return connector_for(self.container, conn, sleep=lambda _s: None)

    def platform_bills(self) -> list:
        return list(self.connector().pull_bills(None, dt.date(2000, 1, 1)).bills)

    def ref(self, kind: str) -> list[dict]:
        return self.org.get(f"/accounting/reference-data/{kind}").json()["data"]


@pytest.fixture(params=PLATFORMS, ids=lambda p: p.name)
def stack(container, request):
    client = TestClient(create_app(container), raise_server_exceptions=False)
    with container.sessionmaker() as s, s.begin():
        out = create_organization(s, container.vault, name="Acme", admin_email="admin@acme.test")
    org = Org(out.organization_id, out.user_id, out.api_key, client)
    r = org.put("/accounting/connection", request.param.connection_body(container, org.id))
    assert r.status_code == 200, r.text
    st = Stack(container, org, request.param(container, r.json()["company_id"]))
    st.platform.state.clear_faults()
    st.work()  # loads reference data
    assert org.get("/accounting/connection").json()["health"]["status"] == "ok"
    return st


def requires(request, ability: str) -> None:
    """Skip the test for a platform whose plugin does not declare ``ability`` (before its stack is built)."""
    platform = request.node.callspec.params["stack"]
    if not getattr(registry.get(platform.name).capabilities, ability):
        pytest.skip(f"{platform.name} does not declare {ability}")


def mapped_vendor(stack: Stack, index: int = 0) -> dict:
    ext = stack.ref("vendors")[index]
    r = stack.org.post("/vendors", {"name": ext["name"], "routing_number": "021000021", "account_number": "123456789",
                                    "accounting_vendor_id": ext["id"]})
    assert r.status_code == 201, r.text
    return verified_by_colleague(stack.org, r.json())


def expense_account(stack: Stack) -> str:
    accts = [a for a in stack.ref("accounts") if a["active"] and "xpense" in str(a["extra"])]
    assert accts, stack.ref("accounts")
    return accts[0]["id"]


def open_bill(stack: Stack, vendor: dict, number: str = "INV-1", amount: str = "150.00", method: str = "ach",
              **extra) -> dict:
    org = stack.org
    body = {"vendor_id": vendor["id"], "invoice_number": number, "invoice_date": dt.date.today().isoformat(),
            "payment_terms": "Net 30", "amount": amount, "attributes": {"gl_account": expense_account(stack)}}
    body.update(extra)
    bill = org.post("/bills", body)
    assert bill.status_code == 201, bill.text
    bill = bill.json()
    assert org.post(f"/bills/{bill['id']}/confirm").status_code == 200
    r = org.post(f"/bills/{bill['id']}/send-to-payments", {"method": method})
    assert r.status_code == 200, r.text
    return r.json()
