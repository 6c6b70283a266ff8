"""Push credit notes to the platform as its vendor credit (``ConnectorExtras.push_vendor_credits``).

The engine's pattern (``sync.engine``): under the connection's fenced lease the create request is kept as it
will be sent (``sync_attempts``, action ``credit``; each item carries the idempotency key
``<credit id>:credit#<generation>``) and committed before the platform is called; the outcome is written in a
transaction that first checks the lease is still ours. A credit whose outcome stays unknown (timeout after the
platform committed, a crash, a lost lease) keeps its attempt and the next run replays the request as it was
sent, so the platform's idempotency (QuickBooks ``requestid``) answers it instead of writing it twice — also
when the credit was voided here meanwhile. A credit is written once; coding changes made later stay in billpay.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..connectors import registry
from ..connectors.base.idempotency import idempotency_key
from ..db import tables as t
from ..domain.bills import BillStatus
from ..services import sync_records as records
from ..services.bills import lines_of
from ..services.coding import exchange_rate_of
from ..services.context import Ctx
from . import payloads
from .attempts import apply, chunks, error_fields, fenced, held, send, waiting_attempts
from .connections import connector_for
from .engine import dimensions_of, line_payloads, platform_vendor_id
from .lease import Lease
from .ports import ConnectorError, VendorCreditPayload

ACTION = "credit"


def credit_payload(ctx: Ctx, credit: t.Bill, conn: t.Connection) -> VendorCreditPayload:
    head = credit.attributes or {}
    return VendorCreditPayload(credit_id=credit.id, vendor_external_id=platform_vendor_id(ctx, credit, conn),
                               reference=credit.invoice_number or "", credit_date=credit.invoice_date,
                               currency=credit.currency, amount=Decimal(credit.amount),
                               lines=line_payloads(head, lines_of(ctx, credit)),
                               memo=credit.memo, dimensions=dimensions_of(head), exchange_rate=exchange_rate_of(head))


def push_vendor_credits(container: Any, org_id: str, credit_ids: list[str], lease: Lease | None = None
                        ) -> dict[str, float | None]:
    """Create these credits on the platform. Returns the ids to retry later (id -> delay or None)."""
    retry: dict[str, float | None] = {}
    with held(container, org_id, lease) as ls:
        conn = ls.connection
        plugin = registry.get(conn.platform)
        creates: list[dict] = []
        with fenced(container, ls) as ctx:
            # Requests in doubt are replayed as sent whatever happened to the credit since.
            replays = waiting_attempts(ctx, conn.id, "bill", credit_ids, action=ACTION)
            for cid in dict.fromkeys(credit_ids):
                credit = ctx.session.get(t.Bill, cid)
                if credit is None or credit.org_id != org_id or credit.kind != "credit":
                    continue
                rec = records.get_or_create(ctx, "bill", cid, conn.id)
                if rec.attempt_id:
                    records.note_attempt(ctx, rec)
                    continue  # its kept request is replayed below
                if credit.status == BillStatus.VOID or rec.external_id:
                    continue
                records.note_attempt(ctx, rec)
                if not plugin.capabilities.vendor_credits:
                    records.record_failed(ctx, rec, code="vendor_credits_unsupported", message=(
                        f"{plugin.display_name} has no vendor credits billpay can write. Record this credit note "
                        "there by hand and void it here."), kind="config", retry=False, raw=None, operation="prepare")
                    continue
                try:
                    payload = credit_payload(ctx, credit, conn)
                except ConnectorError as e:
                    records.record_failed(ctx, rec, **error_fields(e), retry=False, operation="prepare")
                    continue
                creates.append({"record_id": cid, "key": idempotency_key(cid, ACTION, rec.generation),
                                "payload": payloads.encode(payload)})
            fresh = [records.begin_create(ctx, conn.id, "bill", ACTION, chunk, ls.token)
                     for chunk in chunks(creates, plugin.capabilities.batch_size)]
            for att in list(replays.values()) + fresh:
                ctx.session.expunge(att)
        if not replays and not fresh:
            return retry
        connector = connector_for(container, conn)

        def synced(ctx: Ctx, rec: t.SyncRecord, item: dict) -> None:
            ctx.session.get(t.Bill, rec.record_id).synced_once = True

        for att, replay in [(a, True) for a in replays.values()] + [(a, False) for a in fresh]:
            sent = send(att, connector.push_vendor_credits, payloads.KINDS["vendor_credit"])
            with fenced(container, ls) as ctx:
                retry.update(apply(ctx, sent, "bill", replay=replay, on_synced=synced, payload_kind="vendor_credit",
                                    operation="create_vendor_credit"))
    return retry
