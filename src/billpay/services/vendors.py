"""Vendors, their payment details (encrypted at rest) and the bank-detail safety rule.

A change of bank details by one person is held as *pending* until a second
person verifies it; payments keep going to the verified details (or are held
when there are none) until then. This blocks the most common AP fraud: a
forged "our bank details changed" e-mail acted on by one clerk.
"""
from __future__ import annotations

from sqlalchemy import select

from ..connectors import registry
from ..db import tables as t
from ..domain.errors import Conflict, PermissionDenied, ValidationError
from ..domain.money import exponent
from ..domain.terms import parse_terms
from ..domain.users import allowed
from ..domain.vendors import BANK_DETAIL_FIELDS, PaymentDetails, mask
from ..ids import new_id
from . import pull_report, sync_records
from .context import Ctx
from .sync_records import active_connection

VENDOR_FIELDS = {"name", "email", "tax_id", "address", "default_terms", "default_currency",
                 "accounting_vendor_id", "active", *BANK_DETAIL_FIELDS}


def mapped_vendor_id(vendor: t.Vendor, connection_id: str | None) -> str | None:
    """The platform vendor ``vendor`` is mapped to on ``connection_id``; None when it was mapped on another
    connection (another company or platform) or not at all: nothing is written under an old company's id."""
    if connection_id is None or vendor.accounting_connection_id != connection_id:
        return None
    return vendor.accounting_vendor_id


def _active_id(ctx: Ctx) -> str | None:
    info = ctx.session.info  # read once per unit of work (a list page renders many vendors)
    if "active_connection_id" not in info:
        conn = active_connection(ctx.session, ctx.org_id)
        info["active_connection_id"] = conn.id if conn is not None else None
    return info["active_connection_id"]


def _set_mapping(ctx: Ctx, v: t.Vendor, external_id: str | None) -> None:
    v.accounting_vendor_id = external_id or None
    v.accounting_connection_id = _active_id(ctx) if external_id else None


def bank_details(ctx: Ctx, vendor: t.Vendor) -> PaymentDetails:
    return PaymentDetails(**ctx.vault.decrypt_json(vendor.bank_details_enc))


def pending_bank_details(ctx: Ctx, vendor: t.Vendor) -> PaymentDetails | None:
    if not vendor.pending_bank_details_enc:
        return None
    return PaymentDetails(**ctx.vault.decrypt_json(vendor.pending_bank_details_enc))


def _details_dict(d: PaymentDetails) -> dict:
    return {k: getattr(d, k) for k in BANK_DETAIL_FIELDS if getattr(d, k)}


def _masked(d: PaymentDetails | None) -> dict | None:
    if d is None:
        return None
    return {"routing_number": d.routing_number, "account_number": mask(d.account_number),
            "iban": mask(d.iban), "bic": d.bic}


def _check_fields(ctx: Ctx, data: dict) -> None:
    unknown = set(data) - VENDOR_FIELDS
    if unknown:
        raise ValidationError(f"Unknown vendor field(s): {', '.join(sorted(unknown))}.",
                              code="field_unknown")
    if "name" in data and not (data["name"] or "").strip():
        raise ValidationError("The vendor needs a name.", code="name_required", field="name")
    if data.get("default_terms"):
        parse_terms(data["default_terms"])
    if data.get("default_currency"):
        exponent(data["default_currency"])
    if data.get("accounting_vendor_id"):
        conn_id = _active_id(ctx)
        ref = ctx.session.scalars(select(t.ReferenceItem).where(
            t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.connection_id == conn_id,
            t.ReferenceItem.kind == "vendors", t.ReferenceItem.external_id == data["accounting_vendor_id"])).first()
        has_reference = ctx.session.scalars(select(t.ReferenceItem.id).where(
            t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.connection_id == conn_id,
            t.ReferenceItem.kind == "vendors").limit(1)).first()
        if has_reference and ref is None:
            raise ValidationError(
                f"'{data['accounting_vendor_id']}' is not a vendor of the connected accounting platform. "
                "Refresh reference data if it was just created there.", code="accounting_vendor_unknown",
                field="accounting_vendor_id")
        if ref is not None and not ref.active:
            raise ValidationError(f"The platform vendor '{ref.name}' is inactive.",
                                  code="accounting_vendor_inactive", field="accounting_vendor_id")


def create_vendor(ctx: Ctx, data: dict) -> t.Vendor:
    ctx.require("vendors.write")
    _check_fields(ctx, data)
    if not data.get("name"):
        raise ValidationError("The vendor needs a name.", code="name_required", field="name")
    details = PaymentDetails.validated(**{k: data.get(k) for k in BANK_DETAIL_FIELDS})
    v = t.Vendor(id=new_id("ven"), org_id=ctx.org_id, name=data["name"].strip(), email=data.get("email"),
                 tax_id=data.get("tax_id"), address=data.get("address"),
                 default_terms=data.get("default_terms"),
                 default_currency=data.get("default_currency") or "USD",
                 active=data.get("active", True))
    _set_mapping(ctx, v, data.get("accounting_vendor_id"))
    # Bank details always need a second person, a new vendor's first ones too (a fake vendor with the
    # fraudster's account is as dangerous as a changed account): they wait as pending until verified.
    dd = _details_dict(details)
    v.bank_details_enc = None
    ctx.session.add(v)
    if dd:
        _hold_for_verification(ctx, v, details, "were entered for new vendor")
    if v.accounting_vendor_id:
        pull_report.vendor_mapped(ctx)
    ctx.audit("vendor.created", "vendor", v.id, after=vendor_view(ctx, v, audit=True))
    return v


def _hold_for_verification(ctx: Ctx, v: t.Vendor, details: PaymentDetails, what: str) -> None:
    v.pending_bank_details_enc = ctx.vault.encrypt(_details_dict(details))
    v.bank_details_changed_by = ctx.actor.user_id
    v.bank_details_changed_at = ctx.now()
    from . import notifications

    notifications.notify_admins(ctx, "vendor_bank_details_changed",
                                f"Bank details {what} {v.name} and await a second person's verification "
                                "before any payment uses them.", v.id)


def update_vendor(ctx: Ctx, vendor_id: str, data: dict) -> t.Vendor:
    ctx.require("vendors.write")
    v = ctx.get(t.Vendor, vendor_id)
    _check_fields(ctx, data)
    before = vendor_view(ctx, v, audit=True)
    if data.get("accounting_vendor_id") and data["accounting_vendor_id"] != mapped_vendor_id(v, _active_id(ctx)):
        pull_report.vendor_mapped(ctx)  # the bills the last pull skipped for want of this mapping come in next
    for k in ("name", "email", "tax_id", "address", "default_terms", "default_currency", "active"):
        if k in data:
            setattr(v, k, data[k].strip() if k == "name" else data[k])
    if "accounting_vendor_id" in data:
        _set_mapping(ctx, v, data["accounting_vendor_id"])
    bank_changes = {k: data[k] for k in BANK_DETAIL_FIELDS if k in data}
    if bank_changes:
        # Changes build on the latest details entered: those waiting for verification, else the verified ones.
        pending = pending_bank_details(ctx, v)
        current = _details_dict(pending if pending is not None else bank_details(ctx, v))
        proposed = {**current, **{k: val for k, val in bank_changes.items()}}
        proposed = {k: val for k, val in proposed.items() if val}
        details = PaymentDetails.validated(**{k: proposed.get(k) for k in BANK_DETAIL_FIELDS})
        new = _details_dict(details)
        if new != current:
            ctx.audit("vendor.bank_details_changed", "vendor", v.id,
                      before={"bank_details": _masked(PaymentDetails(**current))},
                      after={"pending_bank_details": _masked(details)})
            _hold_for_verification(ctx, v, details, "of vendor")
    ctx.audit("vendor.updated", "vendor", v.id, before=before, after=vendor_view(ctx, v, audit=True))
    return v


def verify_bank_details(ctx: Ctx, vendor_id: str, *, approve: bool = True) -> t.Vendor:
    ctx.require("vendors.verify_bank")
    v = ctx.get(t.Vendor, vendor_id)
    if not v.pending_bank_details_enc:
        raise Conflict("This vendor has no bank-detail change waiting for verification.",
                       code="bank_details_not_pending")
    if v.bank_details_changed_by == ctx.actor.user_id:
        raise PermissionDenied("The person who changed the bank details cannot verify them; a second "
                               "person must.", code="bank_details_self_verification")
    pending = pending_bank_details(ctx, v)
    if approve:
        v.bank_details_enc = v.pending_bank_details_enc
    v.pending_bank_details_enc = None
    ctx.audit("vendor.bank_details_verified" if approve else "vendor.bank_details_rejected", "vendor", v.id,
              after={"bank_details": _masked(pending)})
    return v


def add_from_platform(ctx: Ctx, accounting_vendor_id: str) -> t.Vendor:
    """A billpay vendor for a platform vendor (e.g. one whose bills Sync Bills skipped): its name and
    e-mail, already mapped."""
    ref = ctx.session.scalars(select(t.ReferenceItem).where(
        t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.connection_id == _active_id(ctx),
        t.ReferenceItem.kind == "vendors", t.ReferenceItem.external_id == accounting_vendor_id)).first()
    if ref is None:
        raise Conflict("That vendor is not in the accounting platform's reference data; refresh it on the "
                       "Connections page.", code="accounting_vendor_unknown")
    email = (ref.extra or {}).get("email")
    return create_vendor(ctx, {k: v for k, v in {"name": ref.name, "email": email,
                                                 "accounting_vendor_id": ref.external_id}.items() if v})


def create_in_platform(ctx: Ctx, vendor_id: str) -> t.Vendor:
    """Ask for this vendor to be created in the connected platform (name, e-mail, address) and mapped to it.

    The write runs in the background (``create_platform_vendor``); the vendor's ``vendor`` sync record
    says where it stands."""
    ctx.require("vendors.write")
    v = ctx.get(t.Vendor, vendor_id)
    conn = active_connection(ctx.session, ctx.org_id)
    if conn is None:
        raise Conflict("No accounting platform is connected.", code="not_connected")
    plugin = registry.get(conn.platform)
    if not plugin.capabilities.create_vendors:
        raise Conflict(f"billpay cannot create vendors in {plugin.display_name}; create it there, refresh reference "
                       "data, then map it here.", code="create_vendors_unsupported")
    if mapped_vendor_id(v, conn.id):
        raise Conflict(f"{v.name} is already mapped to a vendor of {plugin.display_name}.", code="vendor_already_mapped")
    sync_records.mark_pending(ctx, "vendor", v.id)
    ctx.enqueue("create_platform_vendor", v.id)
    ctx.audit("vendor.platform_create_requested", "vendor", v.id, after={"platform": conn.platform})
    return v


def created_in_platform(ctx: Ctx, vendor_id: str, connection_id: str, *, external_id: str, name: str,
                        active: bool = True, extra: dict | None = None) -> t.Vendor:
    """The platform created the vendor billpay asked for (``sync.platform_vendors``): map it on that connection
    (unless a person mapped it meanwhile) and list the platform vendor in the connection's reference data."""
    v = ctx.get(t.Vendor, vendor_id)
    if not mapped_vendor_id(v, connection_id):
        v.accounting_vendor_id, v.accounting_connection_id = external_id, connection_id
        pull_report.vendor_mapped(ctx)
    row = ctx.session.scalars(select(t.ReferenceItem).where(
        t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.connection_id == connection_id,
        t.ReferenceItem.kind == "vendors", t.ReferenceItem.external_id == external_id)).first()
    if row is None:
        ctx.session.add(t.ReferenceItem(id=new_id("ref"), org_id=ctx.org_id, connection_id=connection_id,
                                        kind="vendors", external_id=external_id, name=name, active=active,
                                        extra=dict(extra or {})))
    ctx.audit("vendor.created_in_platform", "vendor", vendor_id, after={"accounting_vendor_id": external_id})
    return v


def list_vendors(ctx: Ctx, *, q: str | None = None, limit: int = 50, cursor: str | None = None) -> list[t.Vendor]:
    stmt = select(t.Vendor).where(t.Vendor.org_id == ctx.org_id)
    if q:
        stmt = stmt.where(t.Vendor.name.ilike(f"%{q}%"))
    if cursor:
        stmt = stmt.where(t.Vendor.id < cursor)
    return list(ctx.session.scalars(stmt.order_by(t.Vendor.id.desc()).limit(limit + 1)))


def vendor_view(ctx: Ctx, v: t.Vendor, *, audit: bool = False) -> dict:
    details = bank_details(ctx, v)
    pending = pending_bank_details(ctx, v)
    out = {
        "id": v.id, "name": v.name, "email": v.email, "tax_id": v.tax_id, "address": v.address,
        "default_terms": v.default_terms, "default_currency": v.default_currency,
        "accounting_vendor_id": mapped_vendor_id(v, _active_id(ctx)), "active": v.active,
        "payment_details": _masked(details),
        "bank_details_status": "pending_verification" if pending else ("verified" if _details_dict(details) else "none"),
        "pending_payment_details": _masked(pending),
        "payment_methods": [m for m in ("ach", "wire", "check")
                            if details.supports(m, has_address=bool(v.address))],
        "pending_payment_methods": [m for m in ("ach", "wire") if pending and pending.supports(m, has_address=False)],
        "bank_details_entered_by": v.bank_details_changed_by if pending else None,
    }
    if not audit:
        out["created_at"] = v.created_at.isoformat() if v.created_at else None
        out["bank_details_verifiers"] = verifiers(ctx, v) if pending else []
    return out


def verifiers(ctx: Ctx, v: t.Vendor) -> list[dict]:
    """The people who may verify this vendor's pending bank details: their role allows it and they did
    not enter them."""
    people = ctx.session.scalars(select(t.User).where(t.User.org_id == ctx.org_id, t.User.active.is_(True))
                                 .order_by(t.User.name, t.User.id)).all()
    entered_by = v.bank_details_changed_by if v.pending_bank_details_enc else None
    return [{"id": u.id, "name": u.name or u.email} for u in people
            if allowed(u.roles or [], "vendors.verify_bank") and u.id != entered_by]


def suggest_platform_vendors(name: str, platform_vendors: list[dict], limit: int = 3) -> list[dict]:
    """Platform vendors whose names look like ``name``, best first (a person still confirms the mapping)."""
    from rapidfuzz import fuzz, process, utils

    choices = {v["id"]: v["name"] for v in platform_vendors if v.get("active", True)}
    found = process.extract(name, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit)
    return [{"id": key, "name": choices[key], "score": int(score)} for _, score, key in found if score >= 60]


def mapping_suggestions(ctx: Ctx, vendor_id: str, limit: int = 3) -> list[dict]:
    v = ctx.get(t.Vendor, vendor_id)
    refs = ctx.session.scalars(select(t.ReferenceItem).where(
        t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.connection_id == _active_id(ctx),
        t.ReferenceItem.kind == "vendors")).all()
    return suggest_platform_vendors(v.name, [{"id": r.external_id, "name": r.name, "active": r.active}
                                             for r in refs], limit)
