"""Rows -> JSON for the API (and the web pages). Money as decimal strings with a currency."""
from __future__ import annotations

from decimal import Decimal

from ...db import tables as t
from ...domain.money import exponent
from ...services import duplicates, sync_records, vendor_credits
from ...services.context import Ctx


def money(amount: Decimal | None, currency: str) -> str | None:
    if amount is None:
        return None
    return str(Decimal(amount).quantize(Decimal(1).scaleb(-exponent(currency))))


def _iso(v):
    return v.isoformat() if v is not None else None


def line_view(ln: t.BillLine, currency: str) -> dict:
    return {"id": ln.id, "position": ln.position, "amount": money(ln.amount, currency),
            "description": ln.description, "attributes": ln.attributes or {},
            "attribute_sources": ln.attribute_sources or {}}


def bill_view(bill: t.Bill, lines: list[t.BillLine] | None, sync: t.SyncRecord | None, *,
              full: bool = True) -> dict:
    out = {
        "id": bill.id, "status": bill.status, "source": bill.source, "vendor_id": bill.vendor_id,
        "invoice_number": bill.invoice_number, "invoice_date": _iso(bill.invoice_date),
        "due_date": _iso(bill.due_date), "payment_terms": bill.payment_terms, "currency": bill.currency,
        "amount": money(bill.amount, bill.currency), "paid_amount": money(bill.paid_amount or 0, bill.currency),
        "memo": bill.memo, "attributes": bill.attributes or {}, "attribute_sources": bill.attribute_sources or {},
        "kind": bill.kind or "bill",
        "duplicate_of": bill.duplicate_of or [], "duplicate_status": duplicates.status(bill),
        "duplicate_resolution": bill.duplicate_resolution, "warnings": bill.warnings or [],
        "document_id": bill.document_id, "extraction_status": bill.extraction_status,
        "read_only": bill.source == "accounting", "synced_once": bill.synced_once,
        "withdrawn_reason": bill.withdrawn_reason,
        "created_at": _iso(bill.created_at), "updated_at": _iso(bill.updated_at),
        "confirmed_at": _iso(bill.confirmed_at), "confirmed_by": bill.confirmed_by,
        "sync": _pulled_sync(bill) if bill.source == "accounting" and sync is None else sync_records.view(sync),
    }
    if lines is not None:
        out["lines"] = [line_view(ln, bill.currency) for ln in lines]
    if full:
        ex = bill.extraction or {}
        out["extraction"] = {"fields": ex.get("fields") or {}, "lines": ex.get("lines") or [],
                             "status": ex.get("status"), "warnings": ex.get("warnings") or [],
                             "layer_used": ex.get("layer_used")} if ex else None
    return out


def _pulled_sync(bill: t.Bill) -> dict:
    """A pulled bill lives on the platform: it is in step there by definition, not "not synced"."""
    return {"status": "synced", "external_id": bill.external_id, "last_synced_at": _iso(bill.updated_at),
            "error": None, "attempts": 0}


def payment_view(p: t.Payment, sync: t.SyncRecord | None, decisions: list[t.PaymentDecision] | None = None) -> dict:
    out = {
        "id": p.id, "bill_id": p.bill_id, "vendor_id": p.vendor_id, "status": p.status,
        "status_reason": p.status_reason, "amount": money(p.amount, p.currency), "currency": p.currency,
        "method": p.method, "pay_date": _iso(p.pay_date), "attributes": p.attributes or {},
        "bank_reference": p.bank_reference, "expected_settlement_date": _iso(p.expected_settlement),
        "return_code": p.return_code, "released_at": _iso(p.released_at), "settled_at": _iso(p.settled_at),
        "approval": p.approval_snapshot, "created_at": _iso(p.created_at), "updated_at": _iso(p.updated_at),
        "credits_applied": [{**c, "amount": money(Decimal(c["amount"]), p.currency)} for c in p.credits_applied or []],
        "cash_amount": money(vendor_credits.cash(p), p.currency),
        "sync": sync_records.view(sync),
    }
    if decisions is not None:
        out["decisions"] = [{"user_id": d.user_id, "decision": d.decision, "reason": d.reason,
                             "round": d.round, "at": _iso(d.created_at)} for d in decisions]
    return out


def rule_view(r: t.MappingRule) -> dict:
    return {"id": r.id, "name": r.name, "priority": r.priority, "conditions": r.conditions,
            "attributes": r.attributes, "active": r.active, "created_at": _iso(r.created_at)}


def user_view(u: t.User) -> dict:
    return {"id": u.id, "email": u.email, "name": u.name, "roles": u.roles, "active": u.active,
            "created_at": _iso(u.created_at)}


def audit_view(e: t.AuditEvent) -> dict:
    return {"id": e.id, "actor_type": e.actor_type, "actor_id": e.actor_id, "action": e.action,
            "record_type": e.record_type, "record_id": e.record_id, "before": e.before, "after": e.after,
            "created_at": _iso(e.created_at)}


def page(items: list, limit: int, view) -> dict:  # noqa: ANN001
    more = len(items) > limit
    items = items[:limit]
    return {"data": [view(i) for i in items], "next_cursor": items[-1].id if more and items else None}


def bills_page(ctx: Ctx, rows: list[t.Bill], limit: int) -> dict:
    more = len(rows) > limit
    rows = rows[:limit]
    syncs = sync_records.records_for(ctx, "bill", [b.id for b in rows])
    return {"data": [bill_view(b, None, syncs.get(b.id), full=False) for b in rows],
            "next_cursor": rows[-1].id if more and rows else None}
