"""Push credit notes to the platform as its vendor credit (``ConnectorExtras.push_vendor_credits``).

The same pattern as bills in ``engine``: the attempt is committed before the platform is called,
each write carries the idempotency key ``<credit id>:credit#<generation>`` (QuickBooks replays a
repeated ``requestid``), and the outcome (external id, or the error in words) is written after.
A credit is written once; coding changes made later stay in billpay. When an earlier attempt's outcome
is unknown (timeout after the platform committed, a crash), the connector's ``find_vendor_credit``
looks the credit up by its own key before anything is written again.
"""
from __future__ import annotations

from decimal import Decimal

from ..connectors import registry
from ..connectors.base.idempotency import idempotency_key
from ..db import tables as t
from ..domain.bills import BillStatus
from ..services import sync_records
from ..services.bills import lines_of
from ..services.context import Ctx
from .connections import connector_for
from .engine import _begin_attempts, connection_lease, dimensions_of, log_attempt, record_error
from .ports import BillLinePayload, ConnectorError, VendorCreditPayload
from .worker import system_actor


def credit_payload(ctx: Ctx, credit: t.Bill) -> VendorCreditPayload:
    vendor = ctx.session.get(t.Vendor, credit.vendor_id) if credit.vendor_id else None
    if vendor is None or not vendor.accounting_vendor_id:
        raise ConnectorError("vendor_not_mapped", f"Vendor {vendor.name if vendor else '?'} is not mapped to a "
                             "vendor of the accounting platform.", kind="config")
    head = credit.attributes or {}
    lines = []
    for ln in lines_of(ctx, credit):
        attrs = {**{k: v for k, v in head.items() if k != "custom"}, **(ln.attributes or {})}
        lines.append(BillLinePayload(amount=Decimal(ln.amount), description=ln.description,
                                     account_id=attrs.get("gl_account"), dimensions=dimensions_of(attrs)))
    return VendorCreditPayload(credit_id=credit.id, vendor_external_id=vendor.accounting_vendor_id,
                               reference=credit.invoice_number or "", credit_date=credit.invoice_date,
                               currency=credit.currency, amount=Decimal(credit.amount), lines=lines,
                               memo=credit.memo, dimensions=dimensions_of(head))


def push_vendor_credits(container, org_id: str, credit_ids: list[str]) -> list[str]:  # noqa: ANN001
    """Create these credits on the platform. Returns the ids to retry later."""
    retry: list[str] = []
    with connection_lease(container, org_id) as conn:
        if not registry.get(conn.platform).capabilities.vendor_credits:
            return []
        connector = connector_for(container, conn)
        attempts = _begin_attempts(container, org_id, "bill", credit_ids)
        items, results = [], {}
        with container.tx(system_actor(org_id)) as ctx:
            for cid in credit_ids:
                credit = ctx.get(t.Bill, cid)
                rec = sync_records.get_or_create(ctx, "bill", cid)
                if credit.kind != "credit" or credit.status == BillStatus.VOID or rec.external_id:
                    continue
                try:
                    items.append((idempotency_key(cid, "credit", attempts[cid][0]), credit_payload(ctx, credit)))
                except ConnectorError as e:
                    results[cid] = (None, e)
        to_create = []
        for key, payload in items:  # an earlier attempt may have reached the platform: look before writing
            if attempts[payload.credit_id][2] and hasattr(connector, "find_vendor_credit"):
                try:
                    found = connector.find_vendor_credit(key, payload)
                except ConnectorError as e:
                    results[payload.credit_id] = (None, e)
                    continue
                if found is not None:
                    results[payload.credit_id] = (found, None)
                    continue
            to_create.append((key, payload))
        items = to_create
        if items:
            try:
                by_key = dict(items)
                for res in connector.push_vendor_credits(items):
                    results[by_key[res.key].credit_id] = (res.ref, res.error)
            except ConnectorError as e:
                results.update({p.credit_id: (None, e) for _, p in items})
        with container.tx(system_actor(org_id)) as ctx:
            for cid, (ref, err) in results.items():
                rec = sync_records.get_or_create(ctx, "bill", cid)
                if err is None and ref is not None:
                    rec.external_id, rec.external_version = ref.external_id, ref.version
                    rec.state, rec.error_code, rec.error_message, rec.error_raw = "synced", None, None, None
                    rec.last_synced_at = ctx.now()
                    ctx.get(t.Bill, cid).synced_once = True
                    log_attempt(ctx, "bill", cid, "create_vendor_credit", outcome="ok",
                                response={"external_id": ref.external_id})
                else:
                    again = record_error(ctx, rec, err)
                    log_attempt(ctx, "bill", cid, "create_vendor_credit", outcome="retry" if again else "error",
                                error=err)
                    if again:
                        retry.append(cid)
    return retry
