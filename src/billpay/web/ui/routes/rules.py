"""Mapping rules: conditions -> accounting attributes, with a preview of what a rule would change."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ....domain.attributes import clean
from ....domain.errors import BillPayError
from ....services import mapping_rules as svc
from ...api.views import rule_view
from .. import lookups
from ..web import Form, User, act, blank_to_none, container, is_htmx, render

router = APIRouter()
TEXT_CONDITIONS = ("currency", "text_contains", "line_description_contains", "sender_contains")


def _rule_from_form(form, names: list[str]) -> dict:  # noqa: ANN001
    """The rule as typed; ``names``: the attributes the form shows (the connected platform's)."""
    conditions: dict = {}
    vendor_ids = [v for v in form.getlist("vendor_ids") if v]
    if vendor_ids:
        conditions["vendor_ids"] = vendor_ids
    for k in ("amount_min", "amount_max"):
        value = (form.get(k) or "").replace(",", "").strip()
        if value:
            conditions[k] = value
    for k in TEXT_CONDITIONS:
        value = blank_to_none(form.get(k))
        if value:
            conditions[k] = value.upper() if k == "currency" else value
    priority = (form.get("priority") or "100").strip()
    return {"name": (form.get("name") or "").strip(), "priority": int(priority) if priority.lstrip("-").isdigit() else 100,
            "conditions": conditions,
            "attributes": clean({k: blank_to_none(form.get(f"attr_{k}")) for k in names}),
            "active": form.get("active", "yes") == "yes"}


def _page_data(ctx, edit_id: str | None) -> dict:  # noqa: ANN001
    rules = [rule_view(r) for r in svc.list_rules(ctx)]
    editing = next((r for r in rules if r["id"] == edit_id), None)
    return {"rules": rules, "editing": editing, "vendors": lookups.vendor_names(ctx),
            "ref": lookups.attribute_options(ctx), "attr_labels": lookups.attribute_labels(ctx),
            "platform": lookups.platform_name(ctx)}


def _preview(ctx, rule: dict) -> list[dict]:  # noqa: ANN001
    changes = svc.preview_rule(ctx, rule)
    bills = lookups.bills_by_id(ctx, [c["bill_id"] for c in changes])
    vendors = lookups.vendor_names(ctx)
    for c in changes:
        b = bills.get(c["bill_id"])
        c["label"] = f"{vendors.get(b.vendor_id, 'Unknown vendor')} · {b.invoice_number or 'no number'}" if b else c["bill_id"]
        c["amount"], c["currency"] = (b.amount, b.currency) if b else (None, "USD")
    return changes


@router.get("/rules")
def rule_list(request: Request, user=User, edit: str | None = None):  # noqa: ANN001, ANN201
    with container(request).tx(user.actor) as ctx:
        data = _page_data(ctx, edit)
    return render(request, "rules/list.html", form=None, preview=None, preview_error=None, **data)


@router.post("/rules/preview")
def preview(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    error, changes = None, None
    with container(request).tx(user.actor) as ctx:
        rule = _rule_from_form(form, list(lookups.attribute_kinds(ctx)))
        try:
            changes = _preview(ctx, rule)
        except BillPayError as e:
            error = e.detail
        data = _page_data(ctx, blank_to_none(form.get("rule_id")))
    if is_htmx(request):
        return render(request, "rules/_preview.html", preview=changes, preview_error=error, **data)
    return render(request, "rules/list.html", form=form, preview=changes, preview_error=error, **data)


@router.post("/rules")
def create(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, lambda ctx: svc.create_rule(ctx, _rule_from_form(form, list(lookups.attribute_kinds(ctx)))),
               ok="/rules", back="/rules",
               message=lambda r: f"Rule “{r.name}” saved. It codes new bills from now on.")


@router.post("/rules/apply")
def save_and_apply(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    """From the preview: save the rule and apply it to the existing bills that were ticked."""
    rule_id, ids = blank_to_none(form.get("rule_id")), form.getlist("apply_bill_ids")
    return act(request, user, lambda ctx: svc.save_and_apply(
        ctx, rule_id, _rule_from_form(form, list(lookups.attribute_kinds(ctx))), ids), ok="/rules",
               back=f"/rules?edit={rule_id}" if rule_id else "/rules",
               message=lambda r: f"Rule “{r[0].name}” saved and applied to {r[1]} existing "
                                 f"bill{'s' if r[1] != 1 else ''}. Values set by hand were kept.")


@router.post("/rules/{rule_id}")
def update(rule_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user,
               lambda ctx: svc.update_rule(ctx, rule_id, _rule_from_form(form, list(lookups.attribute_kinds(ctx)))),
               ok="/rules",
               back=f"/rules?edit={rule_id}", message="Rule saved.")


@router.post("/rules/{rule_id}/delete")
def delete(rule_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, lambda ctx: svc.delete_rule(ctx, rule_id), ok="/rules", back="/rules",
               message="Rule deleted. Bills it already coded keep their coding.")

