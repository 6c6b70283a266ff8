"""Sync records: per bill / payment, where it stands with the accounting platform."""
from __future__ import annotations

from sqlalchemy import select

from ..db import tables as t
from ..ids import new_id
from .context import Ctx


def get_or_create(ctx: Ctx, record_type: str, record_id: str) -> t.SyncRecord:
    rec = ctx.session.scalars(select(t.SyncRecord).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.record_type == record_type,
        t.SyncRecord.record_id == record_id)).first()
    if rec is None:
        rec = t.SyncRecord(id=new_id("syn"), org_id=ctx.org_id, record_type=record_type, record_id=record_id,
                           state="not_synced", attempts=0, generation=0)
        ctx.session.add(rec)
        ctx.session.flush()
    return rec


def mark_pending(ctx: Ctx, record_type: str, record_id: str) -> t.SyncRecord:
    rec = get_or_create(ctx, record_type, record_id)
    rec.state = "pending"
    return rec


def records_for(ctx: Ctx, record_type: str, ids: list[str]) -> dict[str, t.SyncRecord]:
    if not ids:
        return {}
    rows = ctx.session.scalars(select(t.SyncRecord).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.record_type == record_type,
        t.SyncRecord.record_id.in_(ids))).all()
    return {r.record_id: r for r in rows}


def view(rec: t.SyncRecord | None) -> dict:
    if rec is None:
        return {"status": "not_synced", "external_id": None, "last_synced_at": None, "error": None,
                "attempts": 0}
    return {
        "status": rec.state, "external_id": rec.external_id,
        "last_synced_at": rec.last_synced_at.isoformat() if rec.last_synced_at else None,
        "error": {"code": rec.error_code, "message": rec.error_message} if rec.error_code else None,
        "attempts": rec.attempts,
    }


def history(ctx: Ctx, record_type: str, record_id: str, limit: int = 50) -> list[dict]:
    rows = ctx.session.scalars(select(t.SyncLog).where(
        t.SyncLog.org_id == ctx.org_id, t.SyncLog.record_type == record_type, t.SyncLog.record_id == record_id
    ).order_by(t.SyncLog.id.desc()).limit(limit)).all()
    return [{"at": r.created_at.isoformat(), "operation": r.operation, "outcome": r.outcome,
             "error": {"code": r.error_code, "message": r.error_message} if r.error_code else None,
             "request": r.request_summary, "response": r.response_summary} for r in rows]
