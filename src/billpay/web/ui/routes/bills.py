"""Bills: the list with tabs and upload, and the review screen (document beside the fields)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from ....db import tables as t
from ....domain.attributes import clean
from ....domain.bills import IMMUTABLE_AFTER_SYNC
from ....domain.errors import BillPayError
from ....services import bills as svc
from ....services import capture, duplicates, splitting, sync_records
from ....services import payments as pay_svc
from ....services import vendors as vendor_svc
from ....services.coding import EXCHANGE_RATE
from ...api.views import bill_view, payment_view
from .. import documents, lookups
from ..web import Form, User, act, blank_to_none, container, flash, is_htmx, redirect, render, sentence

router = APIRouter()

TABS = {"inbox": ("Inbox", ["in_review"]), "confirmed": ("Confirmed", ["confirmed"]),
        "open": ("Open", ["open", "partially_paid"]), "paid": ("Paid", ["paid"]), "void": ("Void", ["void"]),
        "all": ("All", None)}
# (bill field, label, extraction field, input type)
FIELDS = [("vendor_id", "Vendor", "vendor_name", "vendor"), ("invoice_number", "Invoice number", "invoice_number", "text"),
          ("invoice_date", "Invoice date", "invoice_date", "date"), ("due_date", "Due date", "due_date", "date"),
          ("payment_terms", "Payment terms", "payment_terms", "text"), ("currency", "Currency", "currency", "currency"),
          ("amount", "Amount", "total", "amount")]
PAGE = 50


def _list_data(ctx, tab: str, q: str | None, vendor_id: str | None, cursor: str | None) -> dict:  # noqa: ANN001
    statuses = TABS[tab][1]
    rows = svc.list_bills(ctx, status=",".join(statuses) if statuses else None, vendor_id=vendor_id or None,
                          q=q or None, limit=PAGE, cursor=cursor or None)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    syncs = sync_records.records_for(ctx, "bill", [b.id for b in rows])
    return {"bills": [bill_view(b, None, syncs.get(b.id), full=False) for b in rows],
            "next_cursor": rows[-1].id if more and rows else None,
            "reading": any(b.extraction_status == "pending" for b in rows)}


@router.get("/bills")
def bill_list(request: Request, user=User, tab: str = "inbox", q: str | None = None,  # noqa: ANN001, ANN201
              vendor_id: str | None = None, cursor: str | None = None):
    tab = tab if tab in TABS else "inbox"
    with container(request).tx(user.actor) as ctx:
        data = _list_data(ctx, tab, q, vendor_id, cursor)
        counts = lookups.tab_counts(ctx, t.Bill, {k: v[1] for k, v in TABS.items() if v[1]})
        vendors = lookups.vendor_names(ctx)
        platform = lookups.platform_name(ctx)
        today = pay_svc.today(ctx).isoformat()
    template = "bills/_rows.html" if is_htmx(request) and request.headers.get("hx-target") == "bill-rows" \
        else "bills/list.html"
    return render(request, template, tab=tab, tabs=TABS, counts=counts, q=q or "", vendor_id=vendor_id or "",
                  vendors=vendors, platform=platform, today=today, **data)


@router.post("/bills/upload")
def upload(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    files = [f for f in form.getlist("files") if hasattr(f, "read") and f.filename]
    if not files:
        flash(request, "Choose one or more invoice files (PDF, PNG or JPEG) to upload.", "error")
        return redirect("/bills?tab=inbox")
    limit = container(request).settings.max_upload_bytes
    uploads = [(f.filename, f.file.read(limit + 1)) for f in files]
    storage = container(request).storage
    return act(request, user, lambda ctx: capture.ingest_uploads(ctx, storage, uploads, max_bytes=limit),
               ok="/bills?tab=inbox", back="/bills?tab=inbox",
               message=lambda bills: f"{len(bills)} file{'s' if len(bills) != 1 else ''} uploaded. "
                                     "Reading them now; the fields fill in as soon as they are read.")


def _detail(ctx, storage, bill_id: str) -> dict:  # noqa: ANN001
    bill = ctx.get(t.Bill, bill_id)
    lines = svc.lines_of(ctx, bill)
    sync = sync_records.records_for(ctx, "bill", [bill.id]).get(bill.id)
    view = bill_view(bill, lines, sync)
    doc = ctx.get(t.Document, bill.document_id) if bill.document_id else None
    pages = 0
    if doc is not None:
        pages = documents.page_count(storage.get(doc.storage_key), doc.mime_type)
    payments = pay_svc.list_payments(ctx, bill_id=bill.id, limit=20)
    psyncs = sync_records.records_for(ctx, "payment", [p.id for p in payments])
    extraction = (view.get("extraction") or {}).get("fields") or {}
    proposed = (bill.extraction or {}).get("proposed_vendor")
    return {
        "bill": view, "doc": doc, "pages": pages, "fields": FIELDS, "extraction": extraction,
        "extraction_lines": (view.get("extraction") or {}).get("lines") or [],
        "low": svc.low_confidence_fields(bill), "confirmed_fields": bill.field_confirmations or [],
        "vendors": lookups.vendor_names(ctx), "proposed_vendor": proposed,
        "ref": lookups.attribute_options(ctx), "attr_labels": lookups.attribute_labels(ctx),
        "line_labels": lookups.attribute_labels(ctx, lines=True),
        "payments": [payment_view(p, psyncs.get(p.id)) for p in payments[:20]],
        "history": sync_records.history(ctx, "bill", bill.id, limit=20),
        "audit": lookups.audit_trail(ctx, "bill", bill.id), "users": lookups.user_names(ctx),
        "platform": lookups.platform_name(ctx),
        "message": ctx.get(t.InboundMessage, doc.message_id, what="message") if doc and doc.message_id else None,
        "dup_bills": lookups.bills_by_id(ctx, [d["bill_id"] for d in bill.duplicate_of or []]),
        "dup_words": duplicates.REASON_WORDS, "frozen_fields": IMMUTABLE_AFTER_SYNC,
        "editable": bill.source != "accounting" and bill.status in ("in_review", "confirmed", "open", "partially_paid"),
    }


@router.get("/bills/{bill_id}")
def bill_detail(bill_id: str, request: Request, user=User):  # noqa: ANN001, ANN201
    c = container(request)
    with c.tx(user.actor) as ctx:
        data = _detail(ctx, c.storage, bill_id)
    if is_htmx(request) and request.headers.get("hx-target") == "reading":
        if data["bill"]["extraction_status"] == "pending":
            return render(request, "bills/_reading.html", bill=data["bill"])
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    return render(request, "bills/detail.html", values=None, error=None, **data)


@router.get("/bills/{bill_id}/pages/{index}.png")
def bill_page(bill_id: str, index: int, request: Request, user=User):  # noqa: ANN001, ANN201
    c = container(request)
    with c.tx(user.actor) as ctx:
        doc = lookups.document_of(ctx, bill_id)
    if doc is None:
        raise HTTPException(404)
    png = documents.page_png(doc.sha256, c.storage.get(doc.storage_key), doc.mime_type, index)
    if png is None:
        raise HTTPException(404)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def _bill_changes(form, bill: dict, names: list[str]) -> dict:  # noqa: ANN001
    """The header fields as typed (blank = cleared); the service ignores values that did not change. ``names``: the
    attributes the form shows (the G/L account and the connected platform's dimensions); the others the bill has
    (``custom``, its ``exchange_rate``) are kept."""
    data: dict = {}
    for name in ("vendor_id", "invoice_number", "invoice_date", "due_date", "payment_terms", "currency", "memo"):
        if name in form:
            data[name] = blank_to_none(form.get(name))
    if "amount" in form:
        raw = (form.get("amount") or "").replace(",", "").replace(" ", "")
        data["amount"] = raw or None
    if any(f"attr_{k}" in form for k in names):
        attrs = {k: blank_to_none(form.get(f"attr_{k}")) for k in names}
        kept = {k: v for k, v in (bill.get("attributes") or {}).items() if k in ("custom", EXCHANGE_RATE) and v}
        data["attributes"] = clean({**attrs, **kept})
    return data


@router.post("/bills/{bill_id}")
def save_bill(bill_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    """Save corrections; with action=confirm, then confirm the key data (two steps: a refused
    confirmation keeps the corrections)."""
    c = container(request)
    confirming = form.get("action") == "confirm"
    try:
        with c.tx(user.actor) as ctx:
            svc.update_bill(ctx, bill_id, _bill_changes(form, bill_view(ctx.get(t.Bill, bill_id), None, None),
                                                        list(lookups.attribute_kinds(ctx))))
        if confirming:
            with c.tx(user.actor) as ctx:
                svc.confirm_bill(ctx, bill_id, confirmed_fields=form.getlist("confirmed_fields"))
    except BillPayError as e:
        with c.tx(user.actor) as ctx:
            data = _detail(ctx, c.storage, bill_id)
        status = e.status if 400 <= e.status < 500 else 400
        return render(request, "bills/detail.html", status_code=status, values=form, error=sentence(e.detail),
                      error_fields=set((e.extra or {}).get("fields") or (e.extra or {}).get("missing") or
                                       ([e.field] if e.field else [])), **data)
    flash(request, "Bill confirmed. It can now be sent to Payments." if confirming else "Changes saved.")
    return redirect(f"/bills/{bill_id}")


def _lines_from_form(form, names: list[str]) -> list[dict]:  # noqa: ANN001
    amounts = form.getlist("line_amount")
    descs = form.getlist("line_description")
    attrs = {k: form.getlist(f"line_{k}") for k in names}
    lines = []
    for i, amount in enumerate(amounts):
        desc = descs[i] if i < len(descs) else ""
        line_attrs = clean({k: (v[i] if i < len(v) else None) for k, v in attrs.items()})
        if not (amount or "").strip() and not desc.strip() and not line_attrs:
            continue
        lines.append({"amount": (amount or "").replace(",", "").strip() or "0", "description": desc.strip() or None,
                      "attributes": line_attrs})
    return lines


@router.post("/bills/{bill_id}/lines")
def save_lines(bill_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    lines: list[dict] = []

    def save(ctx):  # noqa: ANN001, ANN202 - the line columns are the connected platform's line dimensions
        lines[:] = _lines_from_form(form, list(lookups.attribute_kinds(ctx, lines=True)))
        return svc.set_lines(ctx, bill_id, lines)

    return act(request, user, save, ok=f"/bills/{bill_id}#splits", back=f"/bills/{bill_id}#splits",
               message=lambda _bill: f"Splits saved ({len(lines)} line{'s' if len(lines) != 1 else ''}).")


@router.post("/bills/{bill_id}/split-by-line-items")
def split_items(bill_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, lambda ctx: splitting.split_by_line_items(ctx, bill_id), ok=f"/bills/{bill_id}#splits",
               back=f"/bills/{bill_id}#splits", message="Each invoice line is now a split line.")


@router.post("/bills/{bill_id}/create-vendor")
def create_vendor(bill_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    """Create the vendor proposed by extraction and put it on this bill (one unit of work)."""
    def run(ctx):  # noqa: ANN001, ANN202
        proposed = (ctx.get(t.Bill, bill_id).extraction or {}).get("proposed_vendor") or {}
        data = {"name": blank_to_none(form.get("name")) or proposed.get("vendor_name"),
                "email": proposed.get("vendor_email"), "tax_id": proposed.get("vendor_tax_id")}
        if form.get("with_bank") == "yes":
            data.update({k: proposed.get(k) for k in ("iban", "bic", "routing_number", "account_number")})
        vendor = vendor_svc.create_vendor(ctx, {k: v for k, v in data.items() if v})
        ctx.session.flush()
        svc.update_bill(ctx, bill_id, {"vendor_id": vendor.id})
        return vendor
    return act(request, user, run, ok=f"/bills/{bill_id}", back=f"/bills/{bill_id}",
               message=lambda v: f"Vendor {v.name} created and set on this bill.")


@router.post("/bills/{bill_id}/send")
def send(bill_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    method = blank_to_none(form.get("method"))
    return act(request, user, lambda ctx: svc.send_to_payments(ctx, bill_id, method=method),
               ok=lambda r: f"/payments/{r[1].id}" if r[1] is not None else f"/bills/{bill_id}",
               back=f"/bills/{bill_id}",
               message=lambda r: "Sent to Payments. A payment draft is ready to schedule." if r[1] is not None else
               "Vendor credit recorded. It is taken off this vendor's next payment.")


@router.post("/bills/{bill_id}/not-a-duplicate")
def not_a_duplicate(bill_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    reason = form.get("reason")
    return act(request, user, lambda ctx: duplicates.clear(ctx, bill_id, reason), ok=f"/bills/{bill_id}",
               back=f"/bills/{bill_id}", message="Marked as not a duplicate; the reason is kept in the bill's history.")


@router.post("/bills/{bill_id}/resync")
def resync(bill_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, lambda ctx: svc.resync_bill(ctx, bill_id), ok=f"/bills/{bill_id}#sync",
               back=f"/bills/{bill_id}#sync", message="Re-sync queued; the accounting platform is updated shortly.")


@router.post("/bills/{bill_id}/void")
def void(bill_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    reason = blank_to_none(form.get("reason"))
    return act(request, user, lambda ctx: svc.void_bill(ctx, bill_id, reason=reason), ok=f"/bills/{bill_id}",
               back=f"/bills/{bill_id}", message="Bill voided. Unsent payments for it were cancelled.")
