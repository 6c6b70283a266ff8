"""Vendor credits: credit notes (a document whose total is negative) and their use against payments.

A credit note is a bill row with ``kind = "credit"`` and a positive ``amount`` (the credit's size).
It is reviewed and confirmed like a bill; "recording" it (the bill's Send to Payments) makes it
``open``: available credit, pushed to the platform as its vendor credit (QuickBooks VendorCredit)
where the plugin's ``Capabilities.vendor_credits`` says the platform has one.

When a payment to the same vendor in the same currency is scheduled, open credits are taken off
it: each credit is used whole while it is smaller than what is left to pay (so money still moves
and the platform payment has a positive total), oldest first. ``Payment.amount`` stays what the
bill receives; ``credits_applied`` lists the credits and ``cash(p)`` is what the bank sends. The
credits count as used when the payment settles (``paid_amount`` of the credit).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ..connectors import registry
from ..db import tables as t
from ..domain import bills as bill_rules
from ..domain.bills import BillStatus
from ..domain.errors import Conflict
from ..domain.payments import PaymentStatus
from . import sync_records
from .context import Ctx

#: Payments whose credits are spoken for (settled ones are counted in the credit's ``paid_amount``).
RESERVING = (PaymentStatus.PENDING_APPROVAL, PaymentStatus.SCHEDULED, PaymentStatus.PROCESSING)


def applied_total(p: t.Payment) -> Decimal:
    return sum((Decimal(c["amount"]) for c in p.credits_applied or []), Decimal(0))


def cash(p: t.Payment) -> Decimal:
    """What the bank sends for this payment: the bill's amount less the vendor credits taken off."""
    return Decimal(p.amount) - applied_total(p)


def platform_takes_credits(ctx: Ctx) -> bool | None:
    """True/False for a connected platform with/without vendor credits; None when nothing is connected."""
    conn = sync_records.active_connection(ctx.session, ctx.org_id)
    if conn is None:
        return None
    try:
        return registry.get(conn.platform).capabilities.vendor_credits
    except LookupError:
        return False


def check_recordable(ctx: Ctx, credit: t.Bill) -> None:
    if platform_takes_credits(ctx) is False:
        raise Conflict("The connected accounting platform has no vendor credits billpay can write. Record this "
                       "credit note there by hand and void it here.", code="vendor_credits_unsupported")


def _reserved(ctx: Ctx, credit_ids: list[str], exclude_payment: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    if not credit_ids:
        return out
    for p in ctx.session.scalars(select(t.Payment).where(
            t.Payment.org_id == ctx.org_id, t.Payment.status.in_(RESERVING), t.Payment.id != exclude_payment)):
        for c in p.credits_applied or []:
            if c["credit_id"] in credit_ids:
                out[c["credit_id"]] = out.get(c["credit_id"], Decimal(0)) + Decimal(c["amount"])
    return out


def open_credits(ctx: Ctx, vendor_id: str, currency: str) -> list[t.Bill]:
    return list(ctx.session.scalars(select(t.Bill).where(
        t.Bill.org_id == ctx.org_id, t.Bill.kind == "credit", t.Bill.vendor_id == vendor_id,
        t.Bill.currency == currency, t.Bill.status.in_((BillStatus.OPEN, BillStatus.PARTIALLY_PAID)))
        .order_by(t.Bill.invoice_date, t.Bill.id)))


def apply_to(ctx: Ctx, p: t.Payment) -> list[dict]:
    """Take the vendor's open credits off payment ``p`` (being scheduled); returns what was applied."""
    if platform_takes_credits(ctx) is False:
        p.credits_applied = None
        return []
    credits = open_credits(ctx, p.vendor_id, p.currency)
    reserved = _reserved(ctx, [c.id for c in credits], p.id)
    left = Decimal(p.amount)
    applied = []
    for credit in credits:
        remaining = Decimal(credit.amount) - Decimal(credit.paid_amount or 0) - reserved.get(credit.id, Decimal(0))
        if 0 < remaining < left:
            applied.append({"credit_id": credit.id, "amount": str(remaining),
                            "reference": credit.invoice_number})
            left -= remaining
    p.credits_applied = applied or None
    if applied:
        ctx.audit("payment.credits_applied", "payment", p.id, after={"credits": applied, "cash": str(left)})
    return applied


def in_use(ctx: Ctx, credit: t.Bill) -> bool:
    return bool(_reserved(ctx, [credit.id], exclude_payment=""))


def release(p: t.Payment) -> None:
    """The payment no longer goes ahead as scheduled (back to draft, cancelled, returned): credits are free."""
    p.credits_applied = None


def settle(ctx: Ctx, p: t.Payment) -> None:
    """The payment settled: its credits are used."""
    for c in p.credits_applied or []:
        credit = ctx.get(t.Bill, c["credit_id"])
        credit.paid_amount = Decimal(credit.paid_amount or 0) + Decimal(c["amount"])
        action = "pay" if credit.paid_amount >= Decimal(credit.amount) else "pay_partially"
        credit.status = bill_rules.transition(action, credit.status)
        credit.version += 1
        ctx.audit("bill.credit_applied", "bill", credit.id, after={"payment_id": p.id, "amount": c["amount"]})


def external_ids(ctx: Ctx, p: t.Payment, connection_id: str) -> list[str] | None:
    """Platform ids (on ``connection_id``) of the payment's credits; None when one is not there yet."""
    ids = []
    for c in p.credits_applied or []:
        rec = sync_records.get(ctx, connection_id, "bill", c["credit_id"])
        if rec is None or not rec.external_id:
            return None
        ids.append(rec.external_id)
    return ids
