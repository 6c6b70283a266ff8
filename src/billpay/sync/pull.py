"""Pull (SPEC 2.2): open bills of mapped vendors from the platform become read-only bills with payment drafts.

The same pass notices bills billpay pushed that were paid or deleted in the
platform by other means, and stops payments for them that have not been sent
(nothing is ever paid twice).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..db import tables as t
from ..domain.bills import BillStatus
from ..domain.payments import NOT_SENT, PaymentStatus
from ..ids import new_id
from ..services.bills import normalize_invoice_number
from ..services.context import Ctx
from ..services.orgs import get_settings
from .connections import connector_for
from .engine import attributes_of, connection_lease, log_attempt
from .ports import RemoteBill
from .worker import system_actor

STREAM = "bills_pull"


def _state(ctx: Ctx) -> t.SyncState:
    row = ctx.session.scalars(select(t.SyncState).where(t.SyncState.org_id == ctx.org_id,
                                                        t.SyncState.stream == STREAM)).first()
    if row is None:
        row = t.SyncState(id=new_id("sst"), org_id=ctx.org_id, stream=STREAM)
        ctx.session.add(row)
        ctx.session.flush()
    return row


def _stop_unsent(ctx: Ctx, bill: t.Bill, reason: str) -> int:
    n = 0
    for p in ctx.session.scalars(select(t.Payment).where(t.Payment.org_id == ctx.org_id,
                                                         t.Payment.bill_id == bill.id)):
        if p.status in NOT_SENT:
            p.status, p.status_reason = PaymentStatus.CANCELLED, reason
            ctx.audit("payment.withdrawn", "payment", p.id, after={"reason": reason})
            n += 1
    return n


def pull_bills(container, org_id: str, *, full: bool = False) -> dict:  # noqa: ANN001
    started = container.now()
    with container.tx(system_actor(org_id)) as ctx:
        settings = get_settings(ctx)
        st = _state(ctx)
        bookmark = None if full else st.bookmark
        start = dt.date.fromisoformat(settings["pull_start_date"]) if settings.get("pull_start_date") else None
        enabled = bool(settings.get("pull_bills_enabled") and start)
    with connection_lease(container, org_id) as conn:
        connector = connector_for(container, conn)
        result = connector.pull_bills(bookmark, start or dt.date(1970, 1, 1))
    summary = {"created": 0, "updated": 0, "withdrawn": 0, "paid_elsewhere": 0, "unmapped": [],
               "skipped_before_start": 0, "seen": len(result.bills), "full": result.full}
    with container.tx(system_actor(org_id)) as ctx:
        vendors = {v.accounting_vendor_id: v for v in ctx.session.scalars(select(t.Vendor).where(
            t.Vendor.org_id == org_id, t.Vendor.accounting_vendor_id.is_not(None)))}
        pushed = {r.external_id: r for r in ctx.session.scalars(select(t.SyncRecord).where(
            t.SyncRecord.org_id == org_id, t.SyncRecord.record_type == "bill",
            t.SyncRecord.external_id.is_not(None)))}
        local = {b.external_id: b for b in ctx.session.scalars(select(t.Bill).where(
            t.Bill.org_id == org_id, t.Bill.source == "accounting"))}
        seen_ids = set()
        for rb in result.bills:
            seen_ids.add(rb.external_id)
            if rb.external_id in pushed:
                _pushed_changed(ctx, pushed[rb.external_id], rb, summary)
                continue
            if not enabled:
                continue
            bill = local.get(rb.external_id)
            if bill is None:
                if not rb.is_open:
                    continue
                if rb.invoice_date is None or rb.invoice_date < start:
                    summary["skipped_before_start"] += 1
                    continue
                vendor = vendors.get(rb.vendor_external_id)
                if vendor is None:
                    summary["unmapped"].append({"external_id": rb.external_id, "vendor_external_id":
                                                rb.vendor_external_id, "invoice_number": rb.invoice_number,
                                                "amount": str(rb.amount)})
                    continue
                _create_pulled(ctx, rb, vendor)
                summary["created"] += 1
            else:
                _update_pulled(ctx, bill, rb, summary)
        deleted = set(result.deleted_ids)
        if result.full and enabled:
            # A full scan lists every bill since the start date; a known open one that is missing was deleted.
            deleted |= {ext for ext, b in local.items() if ext not in seen_ids and b.status == BillStatus.OPEN
                        and b.invoice_date and start and b.invoice_date >= start}
        for ext in deleted:
            if ext in local and local[ext].status not in (BillStatus.VOID, BillStatus.PAID):
                b = local[ext]
                b.status, b.withdrawn_reason = BillStatus.VOID, "Deleted in the accounting platform."
                summary["withdrawn"] += _stop_unsent(ctx, b, "Withdrawn: the bill was deleted in the accounting platform.")
                ctx.audit("bill.withdrawn", "bill", b.id, after={"reason": b.withdrawn_reason})
            if ext in pushed:
                rec = pushed[ext]
                bill = ctx.session.get(t.Bill, rec.record_id)
                if bill is not None and bill.status == BillStatus.OPEN:
                    rec.state, rec.error_code = "error", "platform_record_deleted"
                    rec.error_message = ("The bill was deleted in the accounting platform. Re-sync to create it "
                                         "again, or void it here.")
                    rec.external_id, rec.external_version = None, None
                    rec.generation += 1
        st = _state(ctx)
        st.bookmark = result.bookmark
        st.last_run_at = started
        st.last_result = summary
        ctx.audit("bills.pulled", "organization", org_id, after={k: v for k, v in summary.items() if k != "unmapped"}
                  | {"unmapped": len(summary["unmapped"])})
    return summary


def _create_pulled(ctx: Ctx, rb: RemoteBill, vendor: t.Vendor) -> t.Bill:
    bill = t.Bill(id=new_id("bill"), org_id=ctx.org_id, vendor_id=vendor.id, invoice_number=rb.invoice_number,
                  invoice_number_norm=normalize_invoice_number(rb.invoice_number), invoice_date=rb.invoice_date,
                  due_date=rb.due_date or rb.invoice_date, currency=rb.currency, amount=rb.amount,
                  paid_amount=rb.amount - rb.balance, memo=rb.memo, status=BillStatus.OPEN, source="accounting",
                  attributes={}, attribute_sources={}, warnings=[], duplicate_of=[], field_confirmations=[],
                  synced_once=True, external_id=rb.external_id, created_at=ctx.now(), updated_at=ctx.now())
    ctx.session.add(bill)
    ctx.session.flush()
    for i, ln in enumerate(rb.lines or []):
        attrs = attributes_of(ln.account_id, dict(ln.dimensions))
        ctx.session.add(t.BillLine(id=new_id("bln"), org_id=ctx.org_id, bill_id=bill.id, position=i,
                                   amount=ln.amount, description=ln.description, attributes=attrs,
                                   attribute_sources={k: {"source": "accounting"} for k in attrs}))
    ctx.session.add(t.Payment(id=new_id("pay"), org_id=ctx.org_id, bill_id=bill.id, vendor_id=vendor.id,
                              amount=rb.balance, currency=rb.currency, status=PaymentStatus.DRAFT,
                              method="ach" if vendor.bank_details_enc else ("check" if vendor.address else None),
                              attributes={}, created_at=ctx.now(), updated_at=ctx.now()))
    ctx.audit("bill.pulled", "bill", bill.id, after={"external_id": rb.external_id, "amount": str(rb.amount)})
    return bill


def _update_pulled(ctx: Ctx, bill: t.Bill, rb: RemoteBill, summary: dict) -> None:
    if rb.deleted:
        return
    changed = {}
    for field, value in (("invoice_number", rb.invoice_number), ("invoice_date", rb.invoice_date),
                         ("due_date", rb.due_date), ("amount", rb.amount), ("memo", rb.memo)):
        if value is not None and getattr(bill, field) != value:
            changed[field] = str(value)
            setattr(bill, field, value)
    bill.paid_amount = rb.amount - rb.balance
    if changed:
        summary["updated"] += 1
        ctx.audit("bill.updated_from_platform", "bill", bill.id, after=changed)
        for p in ctx.session.scalars(select(t.Payment).where(t.Payment.bill_id == bill.id,
                                                             t.Payment.status == PaymentStatus.DRAFT)):
            p.amount = rb.balance
    if rb.balance <= 0 and bill.status not in (BillStatus.PAID, BillStatus.VOID):
        billpay_paid = ctx.session.scalars(select(t.Payment).where(
            t.Payment.bill_id == bill.id, t.Payment.status.in_([PaymentStatus.PROCESSING, PaymentStatus.SETTLED]))).first()
        bill.status = BillStatus.PAID
        if billpay_paid is None:
            bill.withdrawn_reason = "Paid or closed in the accounting platform before billpay paid it."
            summary["withdrawn"] += _stop_unsent(ctx, bill, "Withdrawn: the bill was paid or closed in the "
                                                 "accounting platform before billpay paid it.")
            summary["paid_elsewhere"] += 1


def _pushed_changed(ctx: Ctx, rec: t.SyncRecord, rb: RemoteBill, summary: dict) -> None:
    """A bill billpay pushed changed in the platform: notice payment by other means."""
    bill = ctx.session.get(t.Bill, rec.record_id)
    if bill is None or rb.deleted:
        return
    rec.external_version = rb.version or rec.external_version
    if rb.balance <= 0 and bill.status in (BillStatus.OPEN, BillStatus.PARTIALLY_PAID):
        ours = ctx.session.scalars(select(t.Payment).where(
            t.Payment.bill_id == bill.id, t.Payment.status.in_([PaymentStatus.PROCESSING,
                                                                PaymentStatus.SETTLED]))).first()
        if ours is None:
            stopped = _stop_unsent(ctx, bill, "Stopped: the bill was paid in the accounting platform by other "
                                   "means, so billpay will not pay it again.")
            bill.status = BillStatus.PAID
            bill.paid_amount = bill.amount
            bill.withdrawn_reason = "Paid in the accounting platform by other means."
            summary["paid_elsewhere"] += 1
            summary["withdrawn"] += stopped
            ctx.audit("bill.paid_elsewhere", "bill", bill.id, after={"payments_stopped": stopped})
            log_attempt(ctx, "bill", bill.id, "pull", outcome="ok",
                        response={"balance": str(rb.balance), "paid_elsewhere": True})
