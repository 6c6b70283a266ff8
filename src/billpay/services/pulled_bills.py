"""What a pull writes, as use cases: bills pulled from the platform, and the platform's word on open amounts.

Called by the sync engine (``sync.pull``) inside its transactions with facts it read from the platform;
every status change goes through the domain's transitions (``pay``, ``pay_partially``, ``reopen``,
``withdraw``). The caller locks the bill (``lock_bill``) and every payment change locks the payment rows after
it, the order the 4 AM release takes them in too, so a pull and the release never both act on one bill: the
second waits and sees what the first did (``FOR UPDATE`` on PostgreSQL; SQLite serializes writers).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from ..db import tables as t
from ..domain import bills as bill_rules
from ..domain import payments as payment_rules
from ..domain.bills import BillStatus
from ..domain.payments import NOT_SENT, PaymentStatus
from ..ids import new_id
from .bills import normalize_invoice_number
from .context import Ctx

STREAM = "bills_pull"


def pull_state(ctx: Ctx, connection_id: str) -> t.SyncState:
    row = ctx.session.scalars(select(t.SyncState).where(t.SyncState.connection_id == connection_id,
                                                        t.SyncState.stream == STREAM)).first()
    if row is None:
        row = t.SyncState(id=new_id("sst"), org_id=ctx.org_id, connection_id=connection_id, stream=STREAM)
        ctx.session.add(row)
        ctx.session.flush()
    return row


def last_pull_state(ctx: Ctx, connection_id: str | None) -> t.SyncState | None:
    if connection_id is None:
        return None
    return ctx.session.scalars(select(t.SyncState).where(t.SyncState.connection_id == connection_id,
                                                         t.SyncState.stream == STREAM)).first()


def lock_bill(ctx: Ctx, bill_id: str) -> t.Bill | None:
    """The bill, re-read under a row lock. The pull and the release both take the bill's lock before its
    payments' (in that order), so the one that comes second sees what the first one did."""
    return ctx.session.scalars(select(t.Bill).where(t.Bill.org_id == ctx.org_id, t.Bill.id == bill_id)
                               .with_for_update().execution_options(populate_existing=True)).first()


def _locked_payments(ctx: Ctx, bill: t.Bill) -> list[t.Payment]:
    stmt = select(t.Payment).where(t.Payment.org_id == ctx.org_id, t.Payment.bill_id == bill.id) \
        .order_by(t.Payment.id).with_for_update().execution_options(populate_existing=True)
    return list(ctx.session.scalars(stmt))


def stop_unsent(ctx: Ctx, bill: t.Bill, reason: str) -> int:
    """Cancel the bill's payments whose money has not left (re-read under a row lock)."""
    n = 0
    for p in _locked_payments(ctx, bill):
        if p.status in NOT_SENT:
            p.status = payment_rules.transition("cancel", p.status)
            p.status_reason = reason
            p.version += 1
            ctx.audit("payment.withdrawn", "payment", p.id, after={"reason": reason})
            n += 1
    return n


def money_out(ctx: Ctx, bill: t.Bill) -> bool:
    """billpay has sent (or is sending) money for this bill."""
    return ctx.session.scalars(select(t.Payment.id).where(
        t.Payment.org_id == ctx.org_id, t.Payment.bill_id == bill.id,
        t.Payment.status.in_([PaymentStatus.PROCESSING, PaymentStatus.SETTLED]))).first() is not None


def apply_open_amount(ctx: Ctx, bill: t.Bill, balance: Decimal, *, pulled: bool) -> dict:
    """The platform says the bill's open amount is ``balance`` (partial payments, vendor credits, payment
    elsewhere, or a payment removed there). Drafts follow it; a scheduled payment above it is held for a
    person; nothing already sent is touched. The caller holds the bill's lock (``lock_bill``). Returns what
    changed."""
    out = {"paid_elsewhere": 0, "withdrawn": 0, "held": 0, "reduced": 0}
    amount = bill.amount or Decimal(0)
    balance = max(Decimal(0), min(balance, amount))
    if bill.status in (BillStatus.VOID, BillStatus.IN_REVIEW, BillStatus.CONFIRMED):
        return out
    paid = amount - balance
    if paid == (bill.paid_amount or Decimal(0)):
        return out
    before = bill.paid_amount or Decimal(0)
    bill.paid_amount = paid
    if balance <= 0:
        action = "pay"
    elif paid > 0:
        action = "pay_partially"
    else:
        action = "reopen"
    if bill_rules.can(action, bill.status):
        bill.status = bill_rules.transition(action, bill.status)
    bill.version += 1
    ctx.audit("bill.open_amount_from_platform", "bill", bill.id,
              before={"paid_amount": str(before)}, after={"paid_amount": str(paid), "open": str(balance)})
    if balance <= 0 and not money_out(ctx, bill):
        reason = ("Withdrawn: the bill was paid or closed in the accounting platform before billpay paid it."
                  if pulled else "Stopped: the bill was paid in the accounting platform by other means, so "
                  "billpay will not pay it again.")
        bill.withdrawn_reason = ("Paid or closed in the accounting platform before billpay paid it." if pulled
                                 else "Paid in the accounting platform by other means.")
        out["withdrawn"] += stop_unsent(ctx, bill, reason)
        out["paid_elsewhere"] += 1
        ctx.audit("bill.paid_elsewhere", "bill", bill.id, after={"payments_stopped": out["withdrawn"]})
        return out
    for p in _locked_payments(ctx, bill):
        if p.status == PaymentStatus.DRAFT and p.amount != balance:
            p.amount = balance  # the draft follows the open amount
            p.version += 1
            out["reduced"] += 1
        elif p.status in (PaymentStatus.SCHEDULED, PaymentStatus.PENDING_APPROVAL) and p.amount > balance:
            p.status = payment_rules.transition("unschedule" if p.status == PaymentStatus.SCHEDULED else "reject",
                                                p.status)
            p.status_reason = (f"Held: the bill's open amount in the accounting platform is now {balance} "
                               f"{bill.currency}, less than this payment. Check the payment or credit applied there, "
                               "correct the amount, and schedule it again.")
            p.version += 1
            ctx.audit("payment.held", "payment", p.id, after={"reason": p.status_reason})
            out["held"] += 1
    return out


def create_pulled(ctx: Ctx, connection_id: str, *, external_id: str, vendor: t.Vendor, invoice_number: str | None,
                  invoice_date: dt.date, due_date: dt.date | None, currency: str, amount: Decimal,
                  balance: Decimal, memo: str | None, lines: list[tuple[Decimal, str | None, dict]]) -> t.Bill:
    """A read-only bill with a payment draft for an open platform bill of a mapped vendor (SPEC 2.2)."""
    bill = t.Bill(id=new_id("bill"), org_id=ctx.org_id, vendor_id=vendor.id, invoice_number=invoice_number,
                  invoice_number_norm=normalize_invoice_number(invoice_number), invoice_date=invoice_date,
                  due_date=due_date or invoice_date, currency=currency, amount=amount, paid_amount=amount - balance,
                  memo=memo, status=BillStatus.OPEN if balance >= amount else BillStatus.PARTIALLY_PAID,
                  source="accounting", attributes={}, attribute_sources={}, warnings=[], duplicate_of=[],
                  field_confirmations=[], synced_once=True, external_id=external_id, connection_id=connection_id,
                  created_at=ctx.now(), updated_at=ctx.now())
    ctx.session.add(bill)
    ctx.session.flush()
    for i, (line_amount, description, attrs) in enumerate(lines):
        ctx.session.add(t.BillLine(id=new_id("bln"), org_id=ctx.org_id, bill_id=bill.id, position=i,
                                   amount=line_amount, description=description, attributes=attrs,
                                   attribute_sources={k: {"source": "accounting"} for k in attrs}))
    ctx.session.add(t.Payment(id=new_id("pay"), org_id=ctx.org_id, bill_id=bill.id, vendor_id=vendor.id,
                              amount=balance, currency=currency, status=PaymentStatus.DRAFT,
                              method="ach" if vendor.bank_details_enc else ("check" if vendor.address else None),
                              attributes={}, created_at=ctx.now(), updated_at=ctx.now()))
    ctx.audit("bill.pulled", "bill", bill.id, after={"external_id": external_id, "amount": str(amount)})
    return bill


def update_pulled(ctx: Ctx, bill: t.Bill, changes: dict) -> dict:
    """Platform edits to a bill's details: a pulled bill (read-only here), or a pushed bill whose key fields were
    edited on the platform (a re-sync merged them, ``sync.merge``); returns what changed."""
    changed = {}
    for field_name, value in changes.items():
        if value is not None and getattr(bill, field_name) != value:
            changed[field_name] = str(value)
            setattr(bill, field_name, value)
    if "invoice_number" in changed:
        bill.invoice_number_norm = normalize_invoice_number(bill.invoice_number)
    if changed:
        bill.version += 1
        bill.updated_at = ctx.now()
        ctx.audit("bill.updated_from_platform", "bill", bill.id, after=changed)
    return changed


def withdraw(ctx: Ctx, bill: t.Bill, reason: str, payment_reason: str) -> int:
    """A pulled bill deleted or voided in the platform: withdrawn here, unsent payments stopped."""
    if not bill_rules.can("withdraw", bill.status):
        return 0
    bill.status = bill_rules.transition("withdraw", bill.status)
    bill.withdrawn_reason = reason
    bill.version += 1
    stopped = stop_unsent(ctx, bill, payment_reason)
    ctx.audit("bill.withdrawn", "bill", bill.id, after={"reason": reason})
    return stopped


def pulled_bills(ctx: Ctx, connection_id: str) -> dict[str, t.Bill]:
    return {b.external_id: b for b in ctx.session.scalars(select(t.Bill).where(
        t.Bill.org_id == ctx.org_id, t.Bill.connection_id == connection_id, t.Bill.source == "accounting"))}
