"""Create a billpay vendor in the connected platform (``ConnectorExtras.create_vendor``) and map it.

The engine's pattern (``sync.engine``): under the connection's fenced lease the request is kept as it will
be sent (``sync_attempts``, action ``create_vendor``, idempotency key ``<vendor id>:create-vendor#<generation>``)
and committed before the platform is called; the outcome is written on the vendor's ``vendor`` sync record
in a transaction that first checks the lease is still ours. An outcome left unknown (timeout, crash, lost
lease) is settled by replaying the kept request as it was sent (QuickBooks answers a repeated ``requestid``
with the vendor it created). On success the vendor is mapped on this connection, the platform vendor joins
the connection's reference data, and the next pull brings in the vendor's bills it skipped.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..connectors import registry
from ..connectors.base.idempotency import idempotency_key
from ..db import tables as t
from ..services import sync_records as records
from ..services import vendors as vendor_services
from ..services.context import Ctx
from . import payloads
from .attempts import apply, fenced, held, send, waiting_attempts
from .connections import connector_for
from .lease import Lease
from .ports import ReferenceItem, RemoteRef, VendorPayload, WriteResult

ACTION = "create_vendor"


def vendor_payload(v: t.Vendor) -> VendorPayload:
    a = v.address or {}
    address = {k: a[k] for k in ("line1", "line2", "city", "postal_code", "country") if a.get(k)}
    if a.get("state") or a.get("region"):
        address["region"] = a.get("state") or a.get("region")
    return VendorPayload(vendor_id=v.id, name=v.name, email=v.email, tax_id=v.tax_id, currency=v.default_currency,
                         address=address)


def create_platform_vendors(container: Any, org_id: str, vendor_ids: list[str], lease: Lease | None = None
                            ) -> dict[str, float | None]:
    """Create these vendors on the platform and map them. Returns the ids to retry later (id -> delay or None)."""
    retry: dict[str, float | None] = {}
    with held(container, org_id, lease) as ls:
        conn = ls.connection
        plugin = registry.get(conn.platform)
        creates: list[dict] = []
        with fenced(container, ls) as ctx:
            replays = waiting_attempts(ctx, conn.id, "vendor", vendor_ids, action=ACTION)
            for vid in dict.fromkeys(vendor_ids):
                v = ctx.session.get(t.Vendor, vid)
                if v is None or v.org_id != org_id:
                    continue
                rec = records.get_or_create(ctx, "vendor", vid, conn.id)
                if rec.attempt_id:
                    records.note_attempt(ctx, rec)
                    continue  # its kept request is replayed below
                mapped = vendor_services.mapped_vendor_id(v, conn.id)
                if mapped:  # mapped by hand meanwhile: nothing to create
                    records.record_synced(ctx, rec, mapped, None, operation="map_vendor", sent=None)
                    continue
                records.note_attempt(ctx, rec)
                if not plugin.capabilities.create_vendors:
                    records.record_failed(ctx, rec, code="create_vendors_unsupported", message=(
                        f"billpay cannot create vendors in {plugin.display_name}; create it there, refresh reference "
                        "data, then map it here."), kind="config", retry=False, raw=None, operation="prepare")
                    continue
                item = {"record_id": vid, "key": idempotency_key(vid, "create-vendor", rec.generation),
                        "payload": payloads.encode(vendor_payload(v))}
                creates.append(item)
            # One vendor per request: the platform creates vendors one at a time.
            fresh = [records.begin_create(ctx, conn.id, "vendor", ACTION, [item], ls.token) for item in creates]
            for att in list(replays.values()) + fresh:
                ctx.session.expunge(att)
        if not replays and not fresh:
            return retry
        connector = connector_for(container, conn)
        created: dict[str, ReferenceItem] = {}

        def write(items: Sequence[tuple[str, VendorPayload]]) -> list[WriteResult]:
            out = []
            for key, payload in items:
                item = connector.create_vendor(payload, key)
                created[key] = item
                out.append(WriteResult(key=key, ref=RemoteRef(item.id)))
            return out

        def synced(ctx: Ctx, rec: t.SyncRecord, kept: dict) -> None:
            item = created[kept["key"]]
            vendor_services.created_in_platform(ctx, rec.record_id, conn.id, external_id=item.id, name=item.name,
                                                active=item.active, extra=dict(item.extra or {}))

        for att, replay in [(a, True) for a in replays.values()] + [(a, False) for a in fresh]:
            sent = send(att, write, VendorPayload)
            with fenced(container, ls) as ctx:
                retry.update(apply(ctx, sent, "vendor", replay=replay, on_synced=synced, operation=ACTION))
    return retry
