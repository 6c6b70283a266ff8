"""Learning from confirmations: what a person corrected becomes the vendor's extraction profile."""
from __future__ import annotations

from sqlalchemy import select

from ..db import tables as t
from ..ids import new_id
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
    """Update the vendor's profile when the bill came from extraction."""
    if not bill.extraction or not bill.vendor_id or not (bill.extraction or {}).get("fields"):
        return
    try:
        from ..capture.extraction import ExtractionResult, VendorProfile, learn_profile
    except ImportError:  # extraction package not installed in a minimal build
        return
    row = ctx.session.scalars(select(t.VendorProfile).where(
        t.VendorProfile.org_id == ctx.org_id, t.VendorProfile.vendor_id == bill.vendor_id)).first()
    previous = VendorProfile.from_dict(row.profile) if row and row.profile else None
    result = ExtractionResult.from_dict(bill.extraction)
    profile = learn_profile(result, confirmed_values(ctx, bill), previous)
    if row is None:
        row = t.VendorProfile(id=new_id("vpf"), org_id=ctx.org_id, vendor_id=bill.vendor_id)
        ctx.session.add(row)
    row.profile = profile.to_dict()
