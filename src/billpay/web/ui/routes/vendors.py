"""Vendors: details, mapping to the platform's vendors, masked payment details, second-person verification."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ....connectors import registry
from ....db import tables as t
from ....services import sync_records
from ....services import vendors as svc
from ....sync.connections import connection_row
from .. import lookups
from ..web import Form, User, act, blank_to_none, container, render

router = APIRouter()
ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")
PAGE = 100


def _profile(form) -> dict:  # noqa: ANN001
    data = {k: blank_to_none(form.get(k)) for k in ("name", "email", "tax_id", "default_terms", "default_currency")
            if k in form}
    if data.get("default_currency"):
        data["default_currency"] = data["default_currency"].upper()
    if any(f"address_{k}" in form for k in ADDRESS_FIELDS):
        address = {k: blank_to_none(form.get(f"address_{k}")) for k in ADDRESS_FIELDS}
        data["address"] = {k: v for k, v in address.items() if v} or None
    if "active" in form or form.get("has_active"):
        data["active"] = form.get("active") == "yes"
    return data


def _bank(form) -> dict:  # noqa: ANN001
    return {k: blank_to_none(form.get(k)) for k in ("routing_number", "account_number", "iban", "bic")
            if blank_to_none(form.get(k))}


@router.get("/vendors")
def vendor_list(request: Request, user=User, q: str | None = None, cursor: str | None = None):  # noqa: ANN001, ANN201
    with container(request).tx(user.actor) as ctx:
        rows = svc.list_vendors(ctx, q=q or None, limit=PAGE, cursor=cursor or None)
        more = len(rows) > PAGE
        vendors = [svc.vendor_view(ctx, v) for v in rows[:PAGE]]
        platform_vendors = lookups.platform_vendors(ctx)
        platform = lookups.platform_name(ctx)
    names = {v["id"]: v["name"] for v in platform_vendors}
    vendors.sort(key=lambda v: v["name"].lower())
    return render(request, "vendors/list.html", vendors=vendors, q=q or "", platform=platform, platform_names=names,
                  next_cursor=rows[PAGE - 1].id if more else None)


@router.post("/vendors")
def create(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    data = {**_profile(form), **_bank(form)}
    return act(request, user, lambda ctx: svc.create_vendor(ctx, data), ok=lambda v: f"/vendors/{v.id}",
               back="/vendors", message=lambda v: f"Vendor {v.name} created.")


@router.post("/vendors/from-platform")
def from_platform(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    ext = blank_to_none(form.get("accounting_vendor_id")) or ""
    return act(request, user, lambda ctx: svc.add_from_platform(ctx, ext), ok=lambda v: f"/vendors/{v.id}",
               back="/accounting",
               message=lambda v: f"Vendor {v.name} added and mapped. Its bills come in with the next Sync Bills.")


@router.get("/vendors/{vendor_id}")
def vendor_detail(vendor_id: str, request: Request, user=User):  # noqa: ANN001, ANN201
    with container(request).tx(user.actor) as ctx:
        row = ctx.get(t.Vendor, vendor_id)
        vendor = svc.vendor_view(ctx, row)
        platform_vendors = lookups.platform_vendors(ctx)
        platform = lookups.platform_name(ctx)
        users = lookups.user_names(ctx)
        changed_by = row.bank_details_changed_by
        audit = lookups.audit_trail(ctx, "vendor", vendor_id, limit=15)
        creating = sync_records.view(sync_records.records_for(ctx, "vendor", [vendor_id]).get(vendor_id))
        conn = connection_row(ctx.session, ctx.org_id)
        can_create = bool(conn and registry.get(conn.platform).capabilities.create_vendors)
    suggestions = [] if vendor["accounting_vendor_id"] else lookups.vendor_suggestions(vendor["name"], platform_vendors)
    exact = None if vendor["accounting_vendor_id"] else next(
        (pv for pv in platform_vendors if pv["active"] and pv["name"].strip().lower() == vendor["name"].strip().lower()),
        None)
    return render(request, "vendors/detail.html", vendor=vendor, platform_vendors=platform_vendors, platform=platform,
                  suggestions=suggestions, exact=exact, creating=creating, can_create=can_create,
                  changed_by=changed_by, users=users, audit=audit,
                  self_changed=changed_by == user.actor.user_id)


@router.post("/vendors/{vendor_id}")
def update(vendor_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    data = _profile(form)
    return act(request, user, lambda ctx: svc.update_vendor(ctx, vendor_id, data), ok=f"/vendors/{vendor_id}",
               back=f"/vendors/{vendor_id}", message="Vendor saved.")


@router.post("/vendors/{vendor_id}/mapping")
def mapping(vendor_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    target = blank_to_none(form.get("accounting_vendor_id"))
    return act(request, user, lambda ctx: svc.update_vendor(ctx, vendor_id, {"accounting_vendor_id": target}),
               ok=f"/vendors/{vendor_id}", back=f"/vendors/{vendor_id}",
               message="Mapping saved." if target else "Mapping removed.")


@router.post("/vendors/{vendor_id}/bank")
def bank(vendor_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    data = _bank(form)
    return act(request, user, lambda ctx: svc.update_vendor(ctx, vendor_id, data), ok=f"/vendors/{vendor_id}",
               back=f"/vendors/{vendor_id}",
               message="New bank details saved. They wait for a second person's verification; until then "
                       "payments use the verified details.")


@router.post("/vendors/{vendor_id}/create-in-platform")
def create_in_platform(vendor_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, lambda ctx: svc.create_in_platform(ctx, vendor_id), ok=f"/vendors/{vendor_id}",
               back=f"/vendors/{vendor_id}",
               message="Creating the vendor in the accounting platform; it is mapped as soon as that is done.")


@router.post("/vendors/{vendor_id}/verify")
def verify(vendor_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    approve = form.get("decision") != "reject"
    return act(request, user, lambda ctx: svc.verify_bank_details(ctx, vendor_id, approve=approve),
               ok=f"/vendors/{vendor_id}", back=f"/vendors/{vendor_id}",
               message="Bank details verified; payments now use them." if approve
               else "Bank-detail change rejected; the previous details stay in use.")
