"""Pull (SPEC 2.2) and paid-elsewhere detection (SPEC 2.3.3) against the sandbox."""
from __future__ import annotations

import datetime as dt

from billpay.connectors import registry

from .conftest import expense_account, mapped_vendor, open_bill

TODAY = dt.date.today()


def _enable_pull(stack, start: dt.date):
    r = stack.org.patch("/settings", {"pull_bills_enabled": True, "pull_start_date": start.isoformat()})
    assert r.status_code == 200, r.text


def _sync_bills(stack) -> dict:
    r = stack.org.post("/accounting/sync-bills")
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    stack.work()
    assert stack.org.get(f"/jobs/{job}").json()["status"] == "done"
    return stack.org.get("/accounting/dashboard").json()["last_pull"]


def _pulled(stack):
    return stack.org.get("/bills", params={"source": "accounting"}).json()["data"]


def test_pull_respects_start_date_mapping_and_reports_unmapped(stack):
    vendor = mapped_vendor(stack, 0)
    unmapped_ext = stack.ref("vendors")[1]["id"]
    acct = expense_account(stack)
    p = stack.platform
    new = p.create_bill(vendor["accounting_vendor_id"], "300.00", TODAY - dt.timedelta(days=3), "Q-1", acct)
    p.create_bill(vendor["accounting_vendor_id"], "50.00", TODAY - dt.timedelta(days=60), "Q-OLD", acct)
    p.create_bill(unmapped_ext, "75.00", TODAY - dt.timedelta(days=2), "Q-UNM", acct)
    _enable_pull(stack, TODAY - dt.timedelta(days=30))
    last = _sync_bills(stack)
    pulled = _pulled(stack)
    assert [b["invoice_number"] for b in pulled] == ["Q-1"]
    bill = stack.org.get(f"/bills/{pulled[0]['id']}").json()
    assert bill["status"] == "open" and bill["read_only"] and bill["amount"] == "300.00"
    assert bill["lines"][0]["attributes"]["gl_account"] == acct
    assert [u["invoice_number"] for u in last["result"]["unmapped"]] == ["Q-UNM"]
    assert last["at"] is not None
    # a payment draft, pre-filled, ready to schedule
    pay = stack.org.get("/payments", params={"bill_id": bill["id"]}).json()["data"]
    assert len(pay) == 1 and pay[0]["status"] == "draft" and pay[0]["amount"] == "300.00" and pay[0]["method"] == "ach"
    # read-only here
    r = stack.org.patch(f"/bills/{bill['id']}", {"memo": "mine"})
    assert r.status_code == 409 and r.json()["code"] == "bill_read_only"
    # pulling again creates nothing new
    _sync_bills(stack)
    assert len(_pulled(stack)) == 1
    # a change made in the platform flows in on the next pull
    p.edit_bill(new, due_date=TODAY + dt.timedelta(days=45))
    _sync_bills(stack)
    assert stack.org.get(f"/bills/{bill['id']}").json()["due_date"] == (TODAY + dt.timedelta(days=45)).isoformat()


def test_pulled_bill_paid_or_deleted_in_platform_withdraws_the_draft(stack):
    vendor = mapped_vendor(stack, 0)
    acct = expense_account(stack)
    p = stack.platform
    a = p.create_bill(vendor["accounting_vendor_id"], "40.00", TODAY, "PAID-1", acct)
    b = p.create_bill(vendor["accounting_vendor_id"], "41.00", TODAY, "DEL-1", acct)
    _enable_pull(stack, TODAY - dt.timedelta(days=5))
    _sync_bills(stack)
    by_num = {x["invoice_number"]: x for x in _pulled(stack)}
    p.pay_elsewhere(a)
    p.delete_bill(b)
    last = _sync_bills(stack)
    paid = stack.org.get(f"/bills/{by_num['PAID-1']['id']}").json()
    gone = stack.org.get(f"/bills/{by_num['DEL-1']['id']}").json()
    assert paid["status"] == "paid" and "before billpay paid" in paid["withdrawn_reason"]
    assert gone["status"] == "void" and "Deleted" in gone["withdrawn_reason"]
    for bill in (paid, gone):
        pay = stack.org.get("/payments", params={"bill_id": bill["id"]}).json()["data"][0]
        assert pay["status"] == "cancelled" and "Withdrawn" in pay["status_reason"]
    assert last["result"]["withdrawn"] == 2


def test_pushed_bill_paid_elsewhere_stops_the_unsent_payment(stack):
    vendor = mapped_vendor(stack, 0)
    bill = open_bill(stack, vendor, "DBL-1", "500.00")
    stack.work()
    ext = stack.org.get(f"/bills/{bill['id']}").json()["sync"]["external_id"]
    stack.platform.pay_elsewhere(ext)
    _sync_bills(stack)  # the incremental pull notices it (even with pulling of new bills off)
    b = stack.org.get(f"/bills/{bill['id']}").json()
    assert b["status"] == "paid" and "other means" in b["withdrawn_reason"]
    pay = stack.org.get("/payments", params={"bill_id": bill["id"]}).json()["data"][0]
    assert pay["status"] == "cancelled" and "paid in the accounting platform" in pay["status_reason"]


def test_incremental_pull_with_nothing_changed_is_cheap(stack):
    vendor = mapped_vendor(stack, 0)
    acct = expense_account(stack)
    for i in range(3):
        stack.platform.create_bill(vendor["accounting_vendor_id"], "10.00", TODAY, f"INC-{i}", acct)
    _enable_pull(stack, TODAY - dt.timedelta(days=5))
    _sync_bills(stack)
    before = stack.platform.api_calls()
    _sync_bills(stack)
    assert stack.platform.api_calls() - before <= 2


def test_reference_data_and_vendor_mapping(stack):
    names = registry.get(stack.platform.name).capabilities.reference_kinds
    kinds = {k: stack.ref(k) for k in names}
    expected = [k for k in names if k not in stack.platform.empty_reference_kinds]
    assert all(kinds[k] for k in expected), {k: len(v) for k, v in kinds.items()}
    r = stack.org.post("/vendors", {"name": "X", "accounting_vendor_id": "no-such-vendor"})
    assert r.status_code == 422 and r.json()["code"] == "accounting_vendor_unknown"
    vendor = stack.org.post("/vendors", {"name": "Unmapped Co", "routing_number": "021000021",
                                         "account_number": "123456789"}).json()
    bill = stack.org.post("/bills", {"vendor_id": vendor["id"], "invoice_number": "U1", "amount": "5.00",
                                     "invoice_date": TODAY.isoformat(), "payment_terms": "Net 30",
                                     "attributes": {"gl_account": expense_account(stack)}}).json()
    stack.org.post(f"/bills/{bill['id']}/confirm")
    r = stack.org.post(f"/bills/{bill['id']}/send-to-payments")
    assert r.status_code == 422 and r.json()["code"] == "vendor_not_mapped"
    r = stack.org.patch(f"/bills/{bill['id']}", {"attributes": {"gl_account": "does-not-exist"}})
    assert r.status_code == 422 and r.json()["code"] == "attribute_value_unknown"


def test_mapping_suggestions_by_name(stack):
    ext = stack.ref("vendors")[0]
    mine = stack.org.post("/vendors", {"name": ext["name"].upper() + " INC"}).json()
    got = stack.org.get(f"/vendors/{mine['id']}/mapping-suggestions").json()["data"]
    assert got and got[0]["id"] == ext["id"] and got[0]["score"] >= 80
