"""Every dimension a platform declares can code a bill through the API and arrives on the platform."""
from __future__ import annotations

from billpay.connectors import registry

from .conftest import mapped_vendor, open_bill


def test_each_declared_dimension_codes_a_bill_and_reaches_the_platform(stack):
    vendor = mapped_vendor(stack)
    dimensions = [d for d in registry.get(stack.platform.name).capabilities.dimensions
                  if d.kind not in stack.platform.empty_reference_kinds]
    chosen = {d.code: [v for v in stack.ref(d.kind) if v["active"]][-1]["id"] for d in dimensions}
    bill = open_bill(stack, vendor, "DIM-1", "80.00")
    attrs = {**bill["attributes"], **chosen}
    r = stack.org.patch(f"/bills/{bill['id']}", {"attributes": attrs})
    assert r.status_code == 200, r.text
    stack.work()
    synced = stack.org.get(f"/bills/{bill['id']}").json()
    assert synced["sync"]["status"] == "synced", synced["sync"]
    remote = {b.external_id: b for b in stack.platform_bills()}[synced["sync"]["external_id"]]
    for d in dimensions:
        where = remote.lines[0].dimensions if d.lines else remote.dimensions
        assert where.get(d.code) == chosen[d.code], (d.code, remote)
