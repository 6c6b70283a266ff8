"""Create a billpay vendor in the connected platform (``ConnectorExtras.create_vendor``) and map it.

The attempt is committed before the platform is called; the write carries the idempotency key
``<vendor id>:create-vendor#<generation>``; the outcome is kept on the vendor's ``vendor`` sync
record, and on success the vendor is mapped, the platform vendor added to the reference data,
and the next pull made a full one (its earlier skipped bills come in).
"""
from __future__ import annotations

from sqlalchemy import select

from ..connectors import registry
from ..connectors.base.idempotency import idempotency_key
from ..db import tables as t
from ..ids import new_id
from ..services import pull_report, sync_records
from .connections import connector_for
from .engine import _begin_attempts, connection_lease, log_attempt, record_error
from .ports import ConnectorError, VendorPayload
from .worker import Retry, system_actor


def create_platform_vendor(container, org_id: str, vendor_id: str) -> None:  # noqa: ANN001
    with connection_lease(container, org_id) as conn:
        if not registry.get(conn.platform).capabilities.create_vendors:
            return
        connector = connector_for(container, conn)
        gen = _begin_attempts(container, org_id, "vendor", [vendor_id])[vendor_id][0]
        with container.tx(system_actor(org_id)) as ctx:
            v = ctx.get(t.Vendor, vendor_id)
            if v.accounting_vendor_id:
                return
            a = v.address or {}
            payload = VendorPayload(vendor_id=v.id, name=v.name, email=v.email, tax_id=v.tax_id,
                                    currency=v.default_currency,
                                    address={k: a[k] for k in ("line1", "line2", "city", "postal_code", "country")
                                             if a.get(k)} | ({"region": a["state"]} if a.get("state") else {}))
        ref, err = None, None
        try:
            ref = connector.create_vendor(payload, idempotency_key(vendor_id, "create-vendor", gen))
        except ConnectorError as e:
            err = e
        with container.tx(system_actor(org_id)) as ctx:
            rec = sync_records.get_or_create(ctx, "vendor", vendor_id)
            if ref is not None:
                v = ctx.get(t.Vendor, vendor_id)
                v.accounting_vendor_id = ref.id
                row = ctx.session.scalars(select(t.ReferenceItem).where(
                    t.ReferenceItem.org_id == org_id, t.ReferenceItem.kind == "vendors",
                    t.ReferenceItem.external_id == ref.id)).first()
                if row is None:
                    ctx.session.add(t.ReferenceItem(id=new_id("ref"), org_id=org_id, kind="vendors",
                                                    external_id=ref.id, name=ref.name, active=ref.active,
                                                    extra=dict(ref.extra or {})))
                rec.external_id, rec.state, rec.error_code, rec.error_message = ref.id, "synced", None, None
                rec.last_synced_at = ctx.now()
                pull_report.vendor_mapped(ctx)
                log_attempt(ctx, "vendor", vendor_id, "create_vendor", outcome="ok", response={"external_id": ref.id})
                ctx.audit("vendor.created_in_platform", "vendor", vendor_id, after={"accounting_vendor_id": ref.id})
            else:
                again = record_error(ctx, rec, err)
                log_attempt(ctx, "vendor", vendor_id, "create_vendor", outcome="retry" if again else "error", error=err)
                if again:
                    raise Retry(err.message, err.retry_after)
