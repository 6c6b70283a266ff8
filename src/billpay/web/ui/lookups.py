"""Small read-only queries the pages need to show names instead of ids (never writes)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from ...connectors import registry
from ...db import tables as t
from ...domain.attributes import ATTRIBUTE_KINDS
from ...payments import approvals, calendar
from ...services.context import Ctx
from ...services.sync_records import active_connection
from ...services.vendors import suggest_platform_vendors

ATTRIBUTE_LABELS = {"gl_account": "GL account", "class": "Class", "department": "Department",
                    "location": "Location"}


def plugin(ctx: Ctx) -> registry.PlatformPlugin | None:
    conn = connection(ctx)
    return registry.get(conn.platform) if conn is not None else None


def _dimensions(p: registry.PlatformPlugin, lines: bool) -> list[registry.Dimension]:
    return [d for d in p.capabilities.dimensions if (d.lines if lines else d.header)]


def attribute_kinds(ctx: Ctx, *, lines: bool = False) -> dict[str, str]:
    """Attribute name -> reference-data kind: the G/L account plus the connected platform's dimensions, by their
    lower-case code, those it takes on a bill (``lines``: on a line); the default set when nothing is connected."""
    p = plugin(ctx)
    if p is None:
        return dict(ATTRIBUTE_KINDS)
    return {"gl_account": "accounts", **{d.code: d.kind for d in _dimensions(p, lines)}}


def attribute_labels(ctx: Ctx, *, lines: bool = False) -> dict[str, str]:
    """Attribute name -> label, in the same order and scope as ``attribute_kinds``."""
    p = plugin(ctx)
    if p is None:
        return dict(ATTRIBUTE_LABELS)
    return {"gl_account": f"GL {p.words.gl_account}", **{d.code: d.label for d in _dimensions(p, lines)}}


def vendor_names(ctx: Ctx) -> dict[str, str]:
    rows = ctx.session.execute(select(t.Vendor.id, t.Vendor.name).where(t.Vendor.org_id == ctx.org_id)
                               .order_by(t.Vendor.name)).all()
    return {r.id: r.name for r in rows}


def bills_by_id(ctx: Ctx, ids: list[str]) -> dict[str, t.Bill]:
    if not ids:
        return {}
    rows = ctx.session.scalars(select(t.Bill).where(t.Bill.org_id == ctx.org_id, t.Bill.id.in_(ids))).all()
    return {b.id: b for b in rows}


def user_names(ctx: Ctx) -> dict[str, str]:
    rows = ctx.session.scalars(select(t.User).where(t.User.org_id == ctx.org_id).order_by(t.User.email)).all()
    return {u.id: (u.name or u.email) for u in rows}


def users(ctx: Ctx) -> list[t.User]:
    return list(ctx.session.scalars(select(t.User).where(t.User.org_id == ctx.org_id, t.User.active.is_(True))
                                    .order_by(t.User.email)))


def connection(ctx: Ctx) -> t.Connection | None:
    return active_connection(ctx.session, ctx.org_id)


def platform_name(ctx: Ctx) -> str | None:
    p = plugin(ctx)
    return p.display_name if p else None


def reference_options(ctx: Ctx, only: tuple[str, ...] | None = None) -> dict[str, list[dict]]:
    """Attribute name -> [{id, name, active}] from the platform's reference data (empty: free text), and
    "vendors" -> the platform's vendors; ``only`` loads just those names (a page that maps no vendor need
    not read the platform's vendors). Read as plain columns, not ORM objects."""
    by_name = attribute_kinds(ctx)
    names = [*by_name, "vendors"] if only is None else list(only)
    kinds = {by_name.get(name, name): name for name in names}
    conn = connection(ctx)
    rows = ctx.session.execute(select(t.ReferenceItem.kind, t.ReferenceItem.external_id, t.ReferenceItem.name,
                                      t.ReferenceItem.active, t.ReferenceItem.extra).where(
        t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.connection_id == (conn.id if conn else None),
        t.ReferenceItem.kind.in_(list(kinds)))
        .order_by(t.ReferenceItem.name)).all()
    out: dict[str, list[dict]] = {name: [] for name in names}
    for kind, external_id, name, active, extra in rows:
        number = (extra or {}).get("account_number") if kind == "accounts" else None
        out[kinds[kind]].append({"id": external_id, "name": f"{number} · {name}" if number else name,
                                 "active": active})
    return out


def attribute_options(ctx: Ctx) -> dict[str, list[dict]]:
    """The options of the accounting attributes only (GL account and the platform's dimensions)."""
    return reference_options(ctx, tuple(attribute_kinds(ctx)))


def platform_vendors(ctx: Ctx) -> list[dict]:
    return reference_options(ctx, ("vendors",))["vendors"]


def reference_counts(ctx: Ctx) -> dict[str, int]:
    """How many items of each attribute's reference data (and "vendors") are loaded, counted in the database."""
    conn = connection(ctx)
    per = dict(ctx.session.execute(select(t.ReferenceItem.kind, func.count()).where(
        t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.connection_id == (conn.id if conn else None))
        .group_by(t.ReferenceItem.kind)).all())
    return per


vendor_suggestions = suggest_platform_vendors


def approval_policy(ctx: Ctx) -> approvals.ApprovalPolicy:
    org = ctx.session.get(t.Organization, ctx.org_id)
    return approvals.ApprovalPolicy.from_dict(org.approval_policy or {"steps": []})


def requires_approval(ctx: Ctx, amount: Decimal, policy: approvals.ApprovalPolicy | None = None) -> bool:
    """Whether a payment of ``amount`` needs approval; pass ``policy`` when asking for many payments."""
    return approvals.requires_approval(policy if policy is not None else approval_policy(ctx), Decimal(amount))


def closed_days(start: dt.date, days: int = 400) -> dict[str, str]:
    """Non-business days (weekends, Federal Reserve holidays) from ``start``: ISO date -> reason."""
    out = {}
    for i in range(days):
        d = start + dt.timedelta(days=i)
        if not calendar.is_business_day(d):
            out[d.isoformat()] = calendar.holiday_name(d) or d.strftime("%A")
    return out


def audit_trail(ctx: Ctx, record_type: str, record_id: str, limit: int = 30) -> list[t.AuditEvent]:
    return list(ctx.session.scalars(select(t.AuditEvent).where(
        t.AuditEvent.org_id == ctx.org_id, t.AuditEvent.record_type == record_type,
        t.AuditEvent.record_id == record_id).order_by(t.AuditEvent.id.desc()).limit(limit)))


def document_of(ctx: Ctx, bill_id: str) -> t.Document | None:
    bill = ctx.get(t.Bill, bill_id)
    return ctx.get(t.Document, bill.document_id) if bill.document_id else None


def tab_counts(ctx: Ctx, model, statuses: dict[str, list[str]]) -> dict[str, int]:  # noqa: ANN001
    rows = ctx.session.execute(select(model.status, func.count()).where(model.org_id == ctx.org_id)
                               .group_by(model.status)).all()
    per = {s: n for s, n in rows}
    return {tab: sum(per.get(s, 0) for s in sts) for tab, sts in statuses.items()}


def record_labels(ctx: Ctx, records: list[dict]) -> dict[str, str]:
    """"Vendor · invoice number" for bills and bill payments named on a page, instead of their ids."""
    bill_ids = {r["record_id"] for r in records if r.get("record_type") == "bill"}
    payments = {p.id: p for p in ctx.session.scalars(select(t.Payment).where(
        t.Payment.org_id == ctx.org_id, t.Payment.id.in_([r["record_id"] for r in records
                                                          if r.get("record_type") == "payment"])))}
    bills = bills_by_id(ctx, sorted(bill_ids | {p.bill_id for p in payments.values()}))
    names = vendor_names(ctx)

    def of(b: t.Bill | None) -> str:
        if b is None:
            return "a bill that no longer exists"
        return f"{names.get(b.vendor_id, 'Unknown vendor')} · {b.invoice_number or 'no invoice number'}"
    out = {bid: of(bills.get(bid)) for bid in bill_ids}
    out.update({pid: of(bills.get(p.bill_id)) for pid, p in payments.items()})
    out.update({r["record_id"]: names.get(r["record_id"], "no longer exists") for r in records
                if r.get("record_type") == "vendor"})
    return out
