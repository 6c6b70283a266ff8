"""Likely duplicate bills: flagged, never dropped, and never paid until a person decides.

A bill is a likely duplicate of another bill of the organization that is not void when

* both come from the same file (same SHA-256), or
* they have the same vendor and the same normalized invoice number, or
* they have the same vendor, currency and amount, with invoice dates at most
  ``DATE_WINDOW_DAYS`` apart (a re-keyed invoice with a typo in its number).

A flagged bill cannot be sent to payments, scheduled, approved or released until a person
either marks it "not a duplicate" with a reason (audited) or voids it. Voiding the *other* bill
lifts the flag too: the one left is the one to pay. A later, different match flags the bill again.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..db import tables as t
from ..domain.bills import BillStatus
from ..domain.errors import Conflict, ValidationError
from .context import Ctx

DATE_WINDOW_DAYS = 7
REASON_WORDS = {
    "same_file": "the same file",
    "same_vendor_and_invoice_number": "the same vendor and invoice number",
    "same_vendor_amount_and_date": f"the same vendor and amount, dated within {DATE_WINDOW_DAYS} days",
}


def flag(ctx: Ctx, bill: t.Bill, *, sha256: str | None = None) -> list[dict]:
    """Recompute the bill's duplicate flags (kept on ``bill.duplicate_of``)."""
    found: dict[str, dict] = {}
    live = (t.Bill.org_id == ctx.org_id, t.Bill.id != bill.id, t.Bill.status != BillStatus.VOID)
    if sha256 is None and bill.document_id:
        doc = ctx.session.get(t.Document, bill.document_id)
        sha256 = doc.sha256 if doc is not None and doc.org_id == ctx.org_id else None
    if sha256:
        docs = ctx.session.scalars(select(t.Document.id).where(t.Document.org_id == ctx.org_id,
                                                                t.Document.sha256 == sha256)).all()
        if docs:
            for other in ctx.session.scalars(select(t.Bill).where(*live, t.Bill.document_id.in_(docs))):
                found[other.id] = {"bill_id": other.id, "reason": "same_file"}
    if bill.vendor_id:
        same_vendor = select(t.Bill).where(*live, t.Bill.vendor_id == bill.vendor_id,
                                           t.Bill.kind == (bill.kind or "bill"))
        if bill.invoice_number_norm:
            for other in ctx.session.scalars(same_vendor.where(t.Bill.invoice_number_norm == bill.invoice_number_norm)):
                found.setdefault(other.id, {"bill_id": other.id, "reason": "same_vendor_and_invoice_number"})
        if bill.amount is not None and bill.invoice_date is not None:
            window = dt.timedelta(days=DATE_WINDOW_DAYS)
            for other in ctx.session.scalars(same_vendor.where(
                    t.Bill.currency == bill.currency, t.Bill.invoice_date >= bill.invoice_date - window,
                    t.Bill.invoice_date <= bill.invoice_date + window)):
                if other.amount == bill.amount:
                    found.setdefault(other.id, {"bill_id": other.id, "reason": "same_vendor_amount_and_date"})
    bill.duplicate_of = list(found.values())
    return bill.duplicate_of


def unresolved(bill: t.Bill) -> list[str]:
    """Ids of the bills this one may duplicate that no person has cleared."""
    cleared = set((bill.duplicate_resolution or {}).get("bill_ids") or [])
    return [d["bill_id"] for d in bill.duplicate_of or [] if d["bill_id"] not in cleared]


def status(bill: t.Bill) -> str:
    """``none`` (no flag), ``unresolved`` (payment held) or ``cleared`` (a person said it is not a duplicate)."""
    if not bill.duplicate_of:
        return "none"
    return "unresolved" if unresolved(bill) else "cleared"


def guard(bill: t.Bill, action: str) -> None:
    """Refuse ``action`` (send to payments, schedule, approve) while the bill's flag is unresolved."""
    others = unresolved(bill)
    if others:
        reasons = sorted({REASON_WORDS.get(d["reason"], d["reason"]) for d in bill.duplicate_of
                          if d["bill_id"] in others})
        raise Conflict(f"This bill may be a duplicate ({'; '.join(reasons)} as another bill), so it cannot be "
                       f"{action}. Mark it “not a duplicate” with a reason on the bill’s page, or void it.",
                       code="duplicate_unresolved", extra={"bill_id": bill.id, "duplicate_of": others})


def clear(ctx: Ctx, bill_id: str, reason: str | None) -> t.Bill:
    """A person decides the flagged bill is not a duplicate; the reason is kept and audited."""
    ctx.require("bills.write")
    bill = ctx.get(t.Bill, bill_id, lock=True)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why this bill is not a duplicate (e.g. the vendor reuses invoice numbers).",
                              code="reason_required", field="reason")
    if len(reason) > 500:
        raise ValidationError("Keep the reason under 500 characters.", code="reason_too_long", field="reason")
    others = unresolved(bill)
    if not others:
        raise Conflict("This bill has no duplicate flag waiting for a decision.", code="duplicate_not_flagged")
    before = bill.duplicate_resolution
    cleared = sorted(set((before or {}).get("bill_ids") or []) | set(others))
    bill.duplicate_resolution = {"by": ctx.actor.user_id, "at": ctx.now().isoformat(), "reason": reason,
                                 "bill_ids": cleared}
    bill.version += 1
    ctx.audit("bill.duplicate_cleared", "bill", bill.id, before={"duplicate_resolution": before},
              after={"reason": reason, "bill_ids": others})
    return bill


def forget(ctx: Ctx, voided: t.Bill) -> None:
    """A voided bill no longer makes others duplicates: drop it from their flags."""
    live = (t.Bill.org_id == ctx.org_id, t.Bill.id != voided.id, t.Bill.status != BillStatus.VOID)
    candidates: list[t.Bill] = []
    if voided.vendor_id:
        candidates += ctx.session.scalars(select(t.Bill).where(*live, t.Bill.vendor_id == voided.vendor_id))
    if voided.document_id:
        doc = ctx.session.get(t.Document, voided.document_id)
        same = select(t.Document.id).where(t.Document.org_id == ctx.org_id, t.Document.sha256 == doc.sha256)
        candidates += ctx.session.scalars(select(t.Bill).where(*live, t.Bill.document_id.in_(same)))
    for other in candidates:
        if any(d["bill_id"] == voided.id for d in other.duplicate_of or []):
            other.duplicate_of = [d for d in other.duplicate_of if d["bill_id"] != voided.id]
