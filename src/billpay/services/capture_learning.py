"""Learning from confirmations: what a person confirmed becomes the vendor's extraction profile.

Confirming enqueues a ``learn_profile`` job, so the confirm request stays fast;
the job reads the stored document again and folds the confirmed values into
the vendor's profile, which the next extraction from that vendor uses.
"""
from __future__ import annotations

from sqlalchemy import select

from ..db import tables as t
from ..ids import new_id
from ..storage import ObjectUnreadable
from .context import Ctx


def confirmed_values(ctx: Ctx, bill: t.Bill) -> dict[str, str]:
    vendor = ctx.session.get(t.Vendor, bill.vendor_id) if bill.vendor_id else None
    values = {
        "vendor_name": vendor.name if vendor else None,
        "invoice_number": bill.invoice_number,
        "invoice_date": bill.invoice_date.isoformat() if bill.invoice_date else None,
        "due_date": bill.due_date.isoformat() if bill.due_date else None,
        "total": str(bill.amount) if bill.amount is not None else None,
        "currency": bill.currency,
        "payment_terms": bill.payment_terms,
    }
    return {k: v for k, v in values.items() if v is not None}


def learn_from_confirmation(ctx: Ctx, bill: t.Bill) -> None:
    """Queue learning when the confirmed bill came from a document of a known vendor."""
    if bill.document_id and bill.vendor_id:
        ctx.enqueue("learn_profile", bill.id)


def learn(ctx: Ctx, bill_id: str) -> None:
    from ..capture.extraction import VendorProfile, extract_document, learn_profile

    bill = ctx.get(t.Bill, bill_id)
    if not bill.document_id or not bill.vendor_id:
        return
    doc = ctx.get(t.Document, bill.document_id)
    try:
        data = ctx.storage.get(doc.storage_key)
    except ObjectUnreadable:  # the original is gone or damaged: nothing to learn from, nothing to retry
        return
    result = extract_document(data, doc.filename)
    if result.status == "rejected":
        return
    row = ctx.session.scalars(select(t.VendorProfile).where(
        t.VendorProfile.org_id == ctx.org_id, t.VendorProfile.vendor_id == bill.vendor_id)).first()
    previous = VendorProfile.from_dict(row.profile) if row and row.profile else None
    profile = learn_profile(result, confirmed_values(ctx, bill), previous)
    if row is None:
        row = t.VendorProfile(id=new_id("vpf"), org_id=ctx.org_id, vendor_id=bill.vendor_id)
        ctx.session.add(row)
    row.profile = profile.to_dict()
    ctx.audit("vendor.extraction_profile_learned", "vendor", bill.vendor_id, after={"bill_id": bill.id})
