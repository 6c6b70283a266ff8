"""Capture: files in (upload, e-mail), stored unchanged, bills created at once, extraction in the background."""
from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from ..db import tables as t
from ..domain.bills import BillStatus
from ..domain.errors import ValidationError
from ..ids import new_id
from ..storage import DocumentStore, ObjectUnreadable
from . import bills as bill_services
from . import coding, splitting
from .context import Ctx

log = logging.getLogger("billpay.capture")

def sniff(data: bytes) -> str:
    """The file's type from its bytes (the extraction engine's detection), for storage and the inbox.

    Files extraction cannot read are stored as ``application/octet-stream``, except HEIC photos,
    which are named as such so the outcome can say what was received.
    """
    from ..capture.extraction.intake import sniff as detect
    from ..capture.extraction.model import Rejected

    try:
        return detect(data)
    except Rejected:
        if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
            return "image/heic"
        return "application/octet-stream"


def store_document(ctx: Ctx, storage: DocumentStore, filename: str, data: bytes,
                   message_id: str | None = None) -> t.Document:
    key, sha = storage.put(ctx.org_id, data)
    doc = t.Document(id=new_id("doc"), org_id=ctx.org_id, sha256=sha, filename=(filename or "document")[:300],
                     mime_type=sniff(data), size=len(data), storage_key=key, message_id=message_id,
                     created_at=ctx.now())
    ctx.session.add(doc)
    ctx.session.flush()
    return doc


def bill_from_document(ctx: Ctx, doc: t.Document, *, source: str, sender: str | None = None) -> t.Bill:
    """A bill in review for a stored document; fields are filled by the extraction job."""
    bill = bill_services.create_bill(ctx, {}, source=source, document=doc,
                                     extraction={"sender": sender} if sender else None)
    bill.extraction_status = "pending"
    ctx.enqueue("extract", bill.id)
    return bill


def ingest_uploads(ctx: Ctx, storage: DocumentStore, files: list[tuple[str, bytes]], *, max_bytes: int) -> list[t.Bill]:
    ctx.require("bills.write")
    for name, data in files:
        if not data:
            raise ValidationError(f"'{name}' is empty (0 bytes).", code="empty_file", field="file")
        if len(data) > max_bytes:
            raise ValidationError(f"'{name}' is larger than the {max_bytes // (1024 * 1024)} MiB limit.",
                                  code="file_too_large", status=413, field="file")
    out = []
    for name, data in files:
        doc = store_document(ctx, storage, name, data)
        out.append(bill_from_document(ctx, doc, source="upload"))
    return out


def _dec(value) -> Decimal | None:  # noqa: ANN001
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _fields_to_bill(ctx: Ctx, bill: t.Bill, result: dict) -> None:
    """Copy extracted values into fields nobody has set yet."""
    f = {k: (v or {}).get("value") for k, v in (result.get("fields") or {}).items()}
    data: dict = {}
    if f.get("currency") and bill.amount is None:
        data["currency"] = f["currency"]
    total = _dec(f.get("total"))
    if total and bill.amount is None and total > 0:
        data["amount"] = str(total)
    elif total and bill.amount is None and total < 0:
        # A negative total is a credit note (e.g. a French "Avoir"): a vendor credit, never a bill without amount.
        bill.kind = "credit"
        data["amount"] = str(-total)
    if f.get("invoice_number") and not bill.invoice_number:
        data["invoice_number"] = str(f["invoice_number"])[:100]
    if f.get("invoice_date") and not bill.invoice_date:
        data["invoice_date"] = f["invoice_date"]
    if f.get("due_date") and not bill.due_date:
        data["due_date"] = f["due_date"]
    if f.get("payment_terms") and not bill.payment_terms:
        data["payment_terms"] = f["payment_terms"]
    # Currency and amount go together (the amount is checked against the currency's decimals);
    # every other value on its own, so one refused value does not lose the others.
    steps = [{k: data[k] for k in ("currency", "amount") if k in data}]
    steps += [{k: v} for k, v in data.items() if k not in ("currency", "amount")]
    for step in filter(None, steps):
        try:
            bill_services._apply_fields(ctx, bill, step)
        except ValidationError as e:
            bill.warnings = [*(bill.warnings or []), {"code": "extracted_value_refused", "field": ",".join(step),
                                                     "message": e.detail}]
            if "due_date" in step:
                bill.due_date = None


def run_extraction(ctx: Ctx, storage: DocumentStore, bill_id: str) -> None:
    """The background half of capture: read the document, fill the bill, match the vendor, code it."""
    from ..capture import extraction as ex

    bill = ctx.get(t.Bill, bill_id)
    if bill.document_id is None or bill.status != BillStatus.IN_REVIEW:
        return
    doc = ctx.get(t.Document, bill.document_id)
    vendors = ctx.session.scalars(select(t.Vendor).where(t.Vendor.org_id == ctx.org_id,
                                                         t.Vendor.active.is_(True))).all()
    from .vendors import bank_details

    candidates = [ex.VendorCandidate(id=v.id, name=v.name, tax_id=v.tax_id, iban=bank_details(ctx, v).iban,
                                     email_domain=(v.email or "").partition("@")[2] or None) for v in vendors]
    try:
        data = storage.get(doc.storage_key)
    except ObjectUnreadable as e:  # missing or damaged: no retry will bring it back
        mark_extraction_failed(ctx, bill_id, f"{e.code}: {e.detail}")
        return
    result = ex.extract_document(data, doc.filename)
    match = ex.match_vendor(result, candidates) if result.status != "rejected" else None
    profile = None
    if match is not None:
        row = ctx.session.scalars(select(t.VendorProfile).where(
            t.VendorProfile.org_id == ctx.org_id, t.VendorProfile.vendor_id == match.vendor_id)).first()
        if row is not None and row.profile:
            profile = ex.VendorProfile.from_dict(row.profile)
            result = ex.apply_profile(result, profile)  # re-read with what this vendor taught us, no second OCR
    payload = result.to_dict()
    sender = (bill.extraction or {}).get("sender")
    if sender:
        payload["sender"] = sender
    if match is not None:
        payload["vendor_match"] = {"vendor_id": match.vendor_id, "score": match.score, "reason": match.reason}
    bill.extraction = payload
    bill.extraction_status = result.status
    warnings = list(bill.warnings or [])
    if result.status == "rejected":
        warnings.append({"code": result.reason_code, "message": result.reason})
    for w in result.warnings:
        warnings.append({"code": "extraction_warning", "message": str(w)})
    bill.warnings = warnings
    if result.status != "rejected":
        if match is not None and not bill.vendor_id:
            bill.vendor_id = match.vendor_id
        elif match is None and (payload.get("fields", {}).get("vendor_name") or {}).get("value"):
            payload["proposed_vendor"] = {k: (payload["fields"].get(k) or {}).get("value") for k in
                                          ("vendor_name", "vendor_email", "vendor_tax_id", "iban", "bic",
                                           "routing_number", "account_number", "remit_to_address")}
        _fields_to_bill(ctx, bill, payload)
        lines = bill_services.lines_of(ctx, bill)
        if not lines and bill.amount is not None:
            ctx.session.add_all(bill_services._single_line(ctx, bill))
            ctx.session.flush()
        settings = (ctx.session.get(t.Organization, ctx.org_id).settings or {})
        if settings.get("automated_bill_splitting") and payload.get("lines") and bill.amount is not None:
            try:
                splitting.split_by_line_items(ctx, bill.id)
            except ValidationError as e:
                bill.warnings = [*(bill.warnings or []), {"code": e.code, "message": e.detail}]
        coding.apply_rules(ctx, bill, bill_services.lines_of(ctx, bill))
        bill_services.flag_duplicates(ctx, bill, sha256=doc.sha256)
    bill.updated_at = ctx.now()
    ctx.audit("bill.extracted", "bill", bill.id, after={"status": result.status,
                                                        "layer": payload.get("layer_used")})


def mark_extraction_failed(ctx: Ctx, bill_id: str, detail: str) -> None:
    """Extraction gave up: the bill stays in review for a person, with the reason on it."""
    bill = ctx.get(t.Bill, bill_id)
    bill.extraction_status = "failed"
    bill.warnings = [*(bill.warnings or []), {"code": "extraction_failed", "message":
                     "billpay could not read this document; enter the fields by hand from the original."}]
    ctx.audit("bill.extraction_failed", "bill", bill.id, after={"detail": detail[:500]})
