"""The demo organization can use the built-in Sage Intacct sandbox instead of QuickBooks."""
from __future__ import annotations

from sqlalchemy import select

from billpay.db import tables as t
from billpay.demo import seed_demo
from billpay.sync import builtin_sandbox


def test_the_demo_connects_to_the_intacct_sandbox_and_pushes_its_open_bills(container):
    info = seed_demo(container, platform="intacct")
    with container.sessionmaker() as s:
        conn = s.scalars(select(t.Connection).where(t.Connection.org_id == info["organization_id"])).one()
        mapped = s.scalars(select(t.Vendor).where(t.Vendor.org_id == info["organization_id"],
                                                  t.Vendor.accounting_vendor_id.is_not(None))).all()
        synced = s.scalars(select(t.SyncRecord).where(t.SyncRecord.org_id == info["organization_id"],
                                                      t.SyncRecord.record_type == "bill")).all()
    assert conn.platform == "intacct" and conn.sandbox and conn.health["status"] == "ok"
    assert conn.config["options"] == {"bank_accounts": {"USD": "BOA-USD"}}
    assert len(mapped) == 3
    assert [r.state for r in synced] == ["synced", "synced"]
    state = builtin_sandbox.get(container, "intacct").state
    assert state.count(conn.config["company_id"], "APBILL") == 2
