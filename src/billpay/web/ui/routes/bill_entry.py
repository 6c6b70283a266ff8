"""Entering a bill (or a credit note) by hand, with no document: the same checks as the API."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ....domain.attributes import ATTRIBUTE_KINDS, clean
from ....domain.bills import BillSource
from ....domain.errors import BillPayError
from ....services import bills as svc
from .. import lookups
from ..web import Form, User, blank_to_none, container, flash, redirect, render, sentence

router = APIRouter()
FIELDS = ("vendor_id", "invoice_number", "invoice_date", "due_date", "payment_terms", "currency", "memo")


def _form_data(ctx) -> dict:  # noqa: ANN001
    return {"vendors": lookups.vendor_names(ctx), "ref": lookups.attribute_options(ctx),
            "attr_labels": lookups.ATTRIBUTE_LABELS, "platform": lookups.platform_name(ctx)}


@router.get("/bills/new")
def new_bill(request: Request, user=User, vendor_id: str | None = None):  # noqa: ANN001, ANN201
    with container(request).tx(user.actor) as ctx:
        ctx.require("bills.write")
        data = _form_data(ctx)
    return render(request, "bills/new.html", values={"vendor_id": vendor_id or ""}, error=None,
                  error_field=None, **data)


@router.post("/bills/new")
def create(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    data: dict = {k: blank_to_none(form.get(k)) for k in FIELDS}
    data["amount"] = (form.get("amount") or "").replace(",", "").strip() or None
    data["kind"] = "credit" if form.get("kind") == "credit" else "bill"
    if data["currency"]:
        data["currency"] = data["currency"].upper()
    else:
        data.pop("currency")  # the vendor's currency
    attrs = clean({k: blank_to_none(form.get(f"attr_{k}")) for k in ATTRIBUTE_KINDS})
    if attrs:
        data["attributes"] = attrs
    data = {k: v for k, v in data.items() if v is not None}
    c = container(request)
    try:
        with c.tx(user.actor) as ctx:
            bill = svc.create_bill(ctx, data, source=BillSource.MANUAL)
            bill_id = bill.id
    except BillPayError as e:
        with c.tx(user.actor) as ctx:
            extra = _form_data(ctx)
        return render(request, "bills/new.html", status_code=e.status if 400 <= e.status < 500 else 400,
                      values=form, error=sentence(e.detail), error_field=e.field, **extra)
    flash(request, "Credit note entered. Check it, then confirm it." if data["kind"] == "credit"
          else "Bill entered. Check it, then confirm it.")
    return redirect(f"/bills/{bill_id}")
