"""Vendors created in the platform from billpay; Sync Bills says what it skipped; a later mapping brings
the skipped bills in on the next pull.

Before: vendors had to be created in the platform by hand; the skipped bills were listed by platform id
only; after mapping, an incremental pull never saw the skipped (unchanged) bills again.
"""
from __future__ import annotations

import datetime as dt

import pytest

from billpay.sync import lease as lease_mod
from billpay.sync import worker

from .conftest import expense_account, mapped_vendor, requires

START = dt.date(2026, 1, 1)


def test_a_vendor_is_created_in_the_platform_and_mapped(stack, request):
    requires(request, "create_vendors")
    org = stack.org
    v = org.post("/vendors", {"name": "Brand New Widgets LLC", "email": "ar@widgets.example",
                              "address": {"line1": "9 Mill Rd", "city": "Albany", "state": "NY",
                                          "postal_code": "12207", "country": "US"}}).json()
    r = org.post(f"/vendors/{v['id']}/create-in-platform")
    assert r.status_code == 202, r.text
    assert r.json()["platform_sync"]["status"] == "pending"
    stack.work()
    mapped = org.get(f"/vendors/{v['id']}").json()
    assert mapped["accounting_vendor_id"]
    vendor = stack.platform.read("Vendor", mapped["accounting_vendor_id"])
    assert vendor["DisplayName"] == "Brand New Widgets LLC"
    assert vendor["PrimaryEmailAddr"]["Address"] == "ar@widgets.example" and vendor["BillAddr"]["City"] == "Albany"
    assert org.post(f"/vendors/{v['id']}/create-in-platform").json()["code"] == "vendor_already_mapped"
    assert any(x["id"] == mapped["accounting_vendor_id"] for x in stack.ref("vendors"))
    bill = org.post("/bills", {"vendor_id": v["id"], "invoice_number": "W-1", "invoice_date": "2026-11-02",
                               "payment_terms": "Net 30", "amount": "42.00",
                               "attributes": {"gl_account": expense_account(stack)}}).json()
    org.post(f"/bills/{bill['id']}/confirm")
    assert org.post(f"/bills/{bill['id']}/send-to-payments").status_code == 200
    stack.work()
    assert org.get(f"/bills/{bill['id']}").json()["sync"]["status"] == "synced"


def test_sync_bills_names_what_it_skipped_and_a_later_mapping_brings_it_in(stack):
    org, p = stack.org, stack.platform
    mapped_vendor(stack, 0)
    skipped_vendor = stack.ref("vendors")[1]
    acct = expense_account(stack)
    p.create_bill(skipped_vendor["id"], "75.00", dt.date(2026, 6, 1), "Q-UNM", acct)
    assert org.patch("/settings", {"pull_bills_enabled": True, "pull_start_date": START.isoformat()}).status_code == 200
    org.post("/accounting/sync-bills")
    stack.work()
    report = org.get("/accounting/sync-bills/not-brought-in").json()
    assert report["start_date"] == "2026-01-01"  # (the connector asks only for bills from the start date on)
    entry = next(u for u in report["unmapped"] if u["vendor_external_id"] == skipped_vendor["id"])
    assert entry["vendor_name"] == skipped_vendor["name"] and "Q-UNM" in entry["invoice_numbers"]
    assert entry["vendor_id"] is None and entry["mapped_now"] is False
    # later pulls see only what changed since: the skipped bill is not looked at again by itself
    p.state.advance_clock(600)
    org.post("/accounting/sync-bills")
    stack.work()
    p.state.advance_clock(600)
    # the clerk adds the vendor and maps it; the next Sync Bills brings the unchanged bill in all the same
    ours = org.post("/vendors", {"name": skipped_vendor["name"]}).json()
    assert org.get("/accounting/sync-bills/not-brought-in").json()["unmapped"][0]["vendor_id"] in (ours["id"], None)
    assert org.patch(f"/vendors/{ours['id']}", {"accounting_vendor_id": skipped_vendor["id"]}).status_code == 200
    org.post("/accounting/sync-bills")
    stack.work()
    pulled = org.get("/bills", params={"source": "accounting"}).json()["data"]
    assert "Q-UNM" in [b["invoice_number"] for b in pulled]
    # a pulled bill is in the platform: "synced" in the list and on its page alike (was "not_synced" there)
    one = next(b for b in pulled if b["invoice_number"] == "Q-UNM")
    assert one["sync"]["status"] == org.get(f"/bills/{one['id']}").json()["sync"]["status"] == "synced"


def test_a_vendor_whose_create_answer_was_lost_is_created_once(stack, request, monkeypatch):
    """The platform created the vendor, billpay did not record it (the worker was killed): the next worker
    replays the kept request as sent and maps the one vendor the platform has."""
    requires(request, "create_vendors")
    org, platform, container = stack.org, stack.platform, stack.container
    v = org.post("/vendors", {"name": "Lost Answer Supplies"}).json()
    before_vendors = platform.count("Vendor")
    assert org.post(f"/vendors/{v['id']}/create-in-platform").status_code == 202
    container.settings.sync_heartbeat_seconds = 0
    real_tx = container.tx
    calls = {"n": 0}

    def dying_tx(actor):
        calls["n"] += 1
        if calls["n"] == 2:  # the transaction that records the platform's answer
            raise SystemExit("worker killed")
        return real_tx(actor)

    monkeypatch.setattr(lease_mod.Lease, "release", lambda self: None)
    container.tx = dying_tx
    try:
        with pytest.raises(SystemExit):
            worker.drain_connection(container, org.id, owner="doomed")
    finally:
        container.tx = real_tx
        monkeypatch.undo()
    assert platform.count("Vendor") == before_vendors + 1
    assert org.get(f"/vendors/{v['id']}").json()["accounting_vendor_id"] is None
    base = container.now()
    container.now = lambda: base + dt.timedelta(seconds=container.settings.sync_lease_seconds + 1)
    stack.work()
    mapped = org.get(f"/vendors/{v['id']}").json()["accounting_vendor_id"]
    assert mapped and platform.count("Vendor") == before_vendors + 1
    assert [x["id"] for x in stack.ref("vendors") if x["name"] == "Lost Answer Supplies"] == [mapped]


def test_a_vendor_whose_creation_gave_up_is_retried_from_the_dashboard(stack, request):
    """The platform stayed down through every retry: the vendor shows a sync error, and Retry (all records in
    error) creates it once the platform is back. Before: Retry failed on a vendor record."""
    requires(request, "create_vendors")
    org, platform, container = stack.org, stack.platform, stack.container
    container.connector_options = {"sleep": lambda _s: None, "max_retries": 0}
    v = org.post("/vendors", {"name": "Patient Vendor Co"}).json()
    assert org.post(f"/vendors/{v['id']}/create-in-platform").status_code == 202
    platform.faults(fail_next={"count": 100_000, "status": 503})
    for _ in range(worker.MAX_ATTEMPTS + 2):
        stack.work()
        base = container.now()
        container.now = lambda base=base: base + dt.timedelta(hours=2)
    errors = org.get("/accounting/dashboard").json()["errors"]
    assert [(r["record_type"], r["record_id"]) for g in errors for r in g["records"]] == [("vendor", v["id"])]
    platform.state.clear_faults()
    r = org.post("/accounting/retry", {})
    assert r.status_code == 202, r.text
    assert r.json()["queued"] == [{"record_type": "vendor", "record_id": v["id"], "job": "create_platform_vendor"}]
    stack.work()
    assert org.get(f"/vendors/{v['id']}").json()["accounting_vendor_id"]
    assert [x["name"] for x in stack.ref("vendors")].count("Patient Vendor Co") == 1
