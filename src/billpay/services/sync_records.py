"""Sync records: per bill / payment and connection, where it stands with the accounting platform.

External state belongs to a connection (``connection_id``): reconnecting to another company or
platform starts clean for the new connection while the old rows stay, read-only, for audit. Readers
(pages, API views) see the records of the organization's *current* connection: the connected one, or
the last one when nothing is connected.

The bookkeeping the sync engine does after talking to the platform is written here as named use cases
(``begin_create``, ``record_synced``, ``record_failed``, ``record_voided``, ``record_reversed``, ``give_up``): the engine
calls them inside its fenced transactions; they never call the engine.
"""
from __future__ import annotations

from sqlalchemy import select

from ..db import tables as t
from ..ids import new_id
from .context import Ctx

#: Error codes whose fix is an admin's (reconnect): shown on the connection as well as on the record.
AUTH_KINDS = frozenset({"auth"})
RETRIES_EXHAUSTED = "sync_retries_exhausted"


# --- which connection ------------------------------------------------------------------------------

def active_connection(session, org_id: str) -> t.Connection | None:  # noqa: ANN001
    """The organization's connected connection (at most one), or None."""
    return session.scalars(select(t.Connection).where(t.Connection.org_id == org_id,
                                                      t.Connection.status == "connected")).first()


def current_connection(session, org_id: str) -> t.Connection | None:  # noqa: ANN001
    """The connection whose state the pages show: the connected one, else the latest one (for audit)."""
    conn = active_connection(session, org_id)
    if conn is not None:
        return conn
    return session.scalars(select(t.Connection).where(t.Connection.org_id == org_id, t.Connection.platform != "")
                           .order_by(t.Connection.created_at.desc(), t.Connection.id.desc())).first()


def _current_id(ctx: Ctx) -> str | None:
    conn = current_connection(ctx.session, ctx.org_id)
    return conn.id if conn is not None else None


# --- records -----------------------------------------------------------------------------------------

def get(ctx: Ctx, connection_id: str, record_type: str, record_id: str) -> t.SyncRecord | None:
    return ctx.session.scalars(select(t.SyncRecord).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.connection_id == connection_id,
        t.SyncRecord.record_type == record_type, t.SyncRecord.record_id == record_id)).first()


def get_or_create(ctx: Ctx, record_type: str, record_id: str, connection_id: str | None = None) -> t.SyncRecord:
    """The record of ``record_id`` with ``connection_id`` (default: the connected connection; none connected: a
    record of no connection yet)."""
    if connection_id is None:
        conn = active_connection(ctx.session, ctx.org_id)
        connection_id = conn.id if conn is not None else None
    rec = get(ctx, connection_id, record_type, record_id)
    if rec is None:
        rec = t.SyncRecord(id=new_id("syn"), org_id=ctx.org_id, connection_id=connection_id,
                           record_type=record_type, record_id=record_id, state="not_synced", attempts=0,
                           generation=0)
        ctx.session.add(rec)
        ctx.session.flush()
    return rec


def mark_pending(ctx: Ctx, record_type: str, record_id: str) -> t.SyncRecord:
    rec = get_or_create(ctx, record_type, record_id)
    rec.state = "pending"
    return rec


def in_doubt(ctx: Ctx, record_type: str, record_id: str) -> bool:
    """A create of this record was sent and its outcome is not known yet (on any connection)."""
    return ctx.session.scalars(select(t.SyncRecord.id).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.record_type == record_type,
        t.SyncRecord.record_id == record_id, t.SyncRecord.attempt_id.is_not(None))).first() is not None


def records_for(ctx: Ctx, record_type: str, ids: list[str]) -> dict[str, t.SyncRecord]:
    """Records of the current connection."""
    conn_id = _current_id(ctx)
    if not ids:
        return {}
    rows = ctx.session.scalars(select(t.SyncRecord).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.connection_id == conn_id,
        t.SyncRecord.record_type == record_type, t.SyncRecord.record_id.in_(ids))).all()
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


# --- bookkeeping use cases (called by the sync engine) ------------------------------------------------

def log_attempt(ctx: Ctx, rec: t.SyncRecord, operation: str, *, outcome: str, request: dict | None = None,
                response: dict | None = None, error_code: str | None = None,
                error_message: str | None = None) -> None:
    """Every sync attempt is logged, with the connection it went to."""
    ctx.session.add(t.SyncLog(id=new_id("slg"), org_id=ctx.org_id, connection_id=rec.connection_id,
                              record_type=rec.record_type, record_id=rec.record_id, operation=operation,
                              outcome=outcome, request_summary=request, response_summary=response,
                              error_code=error_code, error_message=error_message, created_at=ctx.now()))


def begin_create(ctx: Ctx, connection_id: str, record_type: str, action: str, items: list[dict],
                 lease_token: int) -> t.SyncAttempt:
    """Keep a create request as it will be sent (``items``: record_id, key, payload) before sending it."""
    attempt = t.SyncAttempt(id=new_id("att"), org_id=ctx.org_id, connection_id=connection_id,
                            record_type=record_type, action=action, items=items, lease_token=lease_token,
                            created_at=ctx.now())
    ctx.session.add(attempt)
    for item in items:
        rec = get_or_create(ctx, record_type, item["record_id"], connection_id)
        rec.attempt_id = attempt.id
    return attempt


def note_attempt(ctx: Ctx, rec: t.SyncRecord) -> None:
    rec.attempts += 1
    rec.last_attempt_at = ctx.now()
    if rec.state != "pending":
        rec.state = "pending"


def settle_attempt(ctx: Ctx, attempt_id: str | None) -> None:
    """Mark an attempt resolved once no record waits on it any more."""
    if not attempt_id:
        return
    waiting = ctx.session.scalars(select(t.SyncRecord.id).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.attempt_id == attempt_id)).first()
    if waiting is None:
        attempt = ctx.session.get(t.SyncAttempt, attempt_id)
        if attempt is not None and attempt.resolved_at is None:
            attempt.resolved_at = ctx.now()


def record_synced(ctx: Ctx, rec: t.SyncRecord, external_id: str, version: str | None, *, operation: str,
                  sent: dict | None, kept: list[str] | None = None) -> None:
    """``kept``: fields a person changed on the platform that a re-sync kept (merged, not overwritten)."""
    attempt_id = rec.attempt_id
    rec.external_id, rec.external_version = external_id, version
    rec.state, rec.error_code, rec.error_message, rec.error_raw = "synced", None, None, None
    rec.attempt_id = None
    rec.last_synced_at, rec.last_sent = ctx.now(), sent
    response = {"external_id": external_id, "version": version}
    if kept:
        response["kept_from_platform"] = kept
    log_attempt(ctx, rec, operation, outcome="ok", request=sent, response=response)
    settle_attempt(ctx, attempt_id)


def record_failed(ctx: Ctx, rec: t.SyncRecord, *, code: str, message: str, kind: str, retry: bool,
                  raw: dict | None, operation: str, sent: dict | None = None, answered: bool = True) -> None:
    """Store an error in words. ``retry``: the engine tries again by itself (state stays ``pending``).

    ``answered``: the platform answered for this record (the create did not happen), so the request no
    longer needs replaying; False keeps the record's attempt in doubt.
    """
    attempt_id = rec.attempt_id
    rec.error_code, rec.error_message, rec.error_raw = code, message, raw
    if answered:
        rec.attempt_id = None
    if retry:
        rec.state = "pending"
    else:
        rec.state = "error"
        if kind in ("rejected", "config") and rec.attempt_id is None:
            rec.generation += 1  # a fixed record is a new request, not a replay of the refused one
    log_attempt(ctx, rec, operation, outcome="retry" if retry else "error", request=sent, error_code=code,
                error_message=message)
    if kind in AUTH_KINDS:
        conn = ctx.session.get(t.Connection, rec.connection_id)
        if conn is not None:
            conn.health = {**(conn.health or {}), "status": "needs_reconnect", "message": message,
                           "at": ctx.now().isoformat()}
    if answered:
        settle_attempt(ctx, attempt_id)


def record_deleted_on_platform(ctx: Ctx, rec: t.SyncRecord) -> None:
    """The record billpay created was deleted on the platform: the next push creates it again."""
    rec.external_id = rec.external_version = None
    rec.generation += 1


def _record_undone(ctx: Ctx, rec: t.SyncRecord, operation: str, outcome: str, done: str) -> None:
    """The record billpay created on the platform was voided, deleted or reversed there, as billpay asked."""
    log_attempt(ctx, rec, operation, outcome="ok", response={"external_id": rec.external_id, outcome: True})
    rec.last_sent = {done: True, "external_id": rec.external_id}
    rec.external_id = rec.external_version = None
    rec.state, rec.error_code, rec.error_message, rec.error_raw = "synced", None, None, None
    rec.last_synced_at = ctx.now()
    rec.generation += 1  # a record created again later is a new record on the platform


def record_voided(ctx: Ctx, rec: t.SyncRecord) -> None:
    _record_undone(ctx, rec, "void", "deleted", "voided")


def record_reversed(ctx: Ctx, rec: t.SyncRecord) -> None:
    """A bill payment reversed on the platform (after a bank return); its bill is open there again."""
    _record_undone(ctx, rec, "reverse", "reversed", "reversed")


def request_reversal(ctx: Ctx, record_type: str, record_id: str) -> bool:
    """A settled payment came back from the bank. True when its bill payment reached the platform (or may have:
    a create in doubt) and must be reversed there; otherwise it is simply no longer to be synced."""
    conn = active_connection(ctx.session, ctx.org_id)
    rec = get(ctx, conn.id, record_type, record_id) if conn is not None else None
    if rec is None:
        return False
    rec.error_code = rec.error_message = rec.error_raw = None
    if rec.external_id or rec.attempt_id:
        rec.state = "pending"
        return True
    rec.state = "not_synced"
    log_attempt(ctx, rec, "reverse", outcome="ok", response={"sent": False})
    return False


def give_up(ctx: Ctx, connection_id: str | None, record_type: str, record_id: str, action: str,
            last_error: str) -> None:
    """Retries ran out: the record shows a sync error with what to do, never a silent ``pending``."""
    if connection_id is None:
        conn = active_connection(ctx.session, ctx.org_id)
        if conn is None:
            return
        connection_id = conn.id
    rec = get_or_create(ctx, record_type, record_id, connection_id)
    if rec.state == "synced" and action not in ("void", "reverse"):
        return
    what = {"bill": "bill", "payment": "bill payment", "vendor": "vendor in the accounting platform"}.get(
        record_type, record_type)
    rec.state = "error"
    rec.error_code = RETRIES_EXHAUSTED
    rec.error_message = (f"billpay tried to {action} this {what} {rec.attempts or 'several'} time(s) and stopped: "
                         f"{last_error}. Press Retry once the platform is reachable again.")
    log_attempt(ctx, rec, action, outcome="error", error_code=RETRIES_EXHAUSTED, error_message=rec.error_message)


def errored(ctx: Ctx, connection_id: str, record_type: str | None = None,
            record_ids: list[str] | None = None) -> list[t.SyncRecord]:
    stmt = select(t.SyncRecord).where(t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.connection_id == connection_id,
                                      t.SyncRecord.state == "error")
    if record_type:
        stmt = stmt.where(t.SyncRecord.record_type == record_type)
    if record_ids is not None:
        stmt = stmt.where(t.SyncRecord.record_id.in_(record_ids))
    return list(ctx.session.scalars(stmt))
