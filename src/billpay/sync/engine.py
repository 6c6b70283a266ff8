"""The sync engine: push bills, void them, sync bill payments, keep reference data.

Every platform write follows the same pattern, which is what makes it safe to
retry, crash or run twice:

1. In a short transaction, note the attempt on the sync record (committed
   before the platform is called).
2. Call the platform with an idempotency key ``<record>:<action>#<generation>``
   (QuickBooks replays a repeated ``requestid``). If an earlier attempt's
   outcome is unknown, look the record up on the platform first
   (``find_bill``) instead of creating it again.
3. In a second transaction, record the outcome (external id, version, what
   was sent, or the error in words a controller understands) and log the
   attempt.

One connection's work is serialized by a lease on the connection row, so two
workers never push the same organization's records at the same time.
"""
from __future__ import annotations

import contextlib
import threading
import datetime as dt
import logging
from decimal import Decimal
from typing import Iterator

from sqlalchemy import select, update, or_

from ..connectors import registry
from ..connectors.base.idempotency import idempotency_key
from ..db import tables as t
from ..domain.bills import BillStatus
from ..ids import new_id
from ..services import payments as payment_services
from ..services import sync_records, vendor_credits
from ..services.context import Ctx
from .connections import connection_row, connector_for
from .ports import BillLinePayload, BillPayload, BillPaymentPayload, ConnectorError, RemoteRef
from .worker import WORKER_ID, Retry, system_actor

log = logging.getLogger("billpay.sync")
LEASE = dt.timedelta(minutes=5)
NON_DIMENSION_KEYS = frozenset({"gl_account", "custom"})

# Fixes in words, by error code, for the dashboard.
FIXES = {
    "vendor_not_mapped": "Map the vendor to a vendor of the accounting platform on the vendor's page, then re-sync.",
    "payload_invalid": "Open the bill and complete what the message names (GL account on every line, mapped vendor), then re-sync.",
    "platform_auth_revoked": "An admin must reconnect the accounting platform on the Connections page.",
    "platform_auth_expired": "An admin must reconnect the accounting platform on the Connections page.",
    "platform_auth_missing": "An admin must reconnect the accounting platform on the Connections page.",
    "platform_client_invalid": "The app's client id or secret was refused; an admin must reconnect with valid credentials.",
    "platform_forbidden": "The connected user may not do this in the platform; reconnect with an administrator of the company.",
    "platform_subscription_inactive": "The accounting platform subscription is inactive; renew it, then re-sync.",
    "platform_period_closed": "The accounting period is closed. Reopen it in the platform or change the bill date, then re-sync.",
    "platform_vendor_inactive": "Reactivate the vendor in the accounting platform or map another vendor, then re-sync.",
    "platform_reference_inactive": "A GL account, class or department on the bill is inactive in the platform; choose an active one, then re-sync.",
    "platform_reference_invalid": "A value on the bill no longer exists in the platform; refresh reference data, recode the bill, then re-sync.",
    "platform_duplicate_number": "A bill with this invoice number already exists for the vendor in the platform. Check for a duplicate.",
    "platform_bill_has_payments": "The bill has payments in the platform; remove them there before voiding.",
    "platform_bill_already_paid": "The bill is already paid in the platform; billpay did not pay it twice. Check the payment.",
    "platform_bill_deleted": "The bill was deleted in the platform; re-sync it or void the payment.",
    "platform_record_deleted": "The bill was deleted in the platform; re-sync to create it again, or void it here.",
    "platform_bank_account_missing": "The platform company has no active bank account to record payments from; add one, then sync.",
    "platform_currency_unsupported": "Turn on multicurrency in the platform or use the company's home currency.",
    "platform_rate_limited": "The platform is busy; billpay retries by itself.",
    "platform_unavailable": "The platform is unavailable; billpay retries by itself.",
    "platform_timeout": "The platform did not answer in time; billpay retries by itself without creating duplicates.",
}


class ConnectionBusy(Retry):
    pass


@contextlib.contextmanager
def connection_lease(container, org_id: str) -> Iterator[t.Connection]:  # noqa: ANN001
    """Hold the connection's lease while its work runs (compare-and-set: works on SQLite and PostgreSQL)."""
    now = container.now()
    owner = f"{WORKER_ID}:{threading.get_ident()}"  # threads of one worker process are separate holders
    with container.sessionmaker() as s, s.begin():
        conn = connection_row(s, org_id)
        if conn is None:
            raise LookupError("not_connected")
        got = s.execute(update(t.Connection).where(
            t.Connection.id == conn.id,
            or_(t.Connection.lock_until.is_(None), t.Connection.lock_until < now,
                t.Connection.lock_owner == owner)
        ).values(lock_owner=owner, lock_until=now + LEASE)).rowcount
        s.expunge(conn)
    if not got:
        raise ConnectionBusy("another worker is syncing this connection", delay=2)
    try:
        yield conn
    finally:
        with container.sessionmaker() as s, s.begin():
            s.execute(update(t.Connection).where(t.Connection.id == conn.id, t.Connection.lock_owner == owner)
                      .values(lock_owner=None, lock_until=None))


def _ref_id(ctx: Ctx, kind: str, name: str | None) -> str | None:
    if not name:
        return None
    item = ctx.session.scalars(select(t.ReferenceItem).where(
        t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.kind == kind,
        or_(t.ReferenceItem.name == name, t.ReferenceItem.external_id == name))).first()
    return item.external_id if item else None


def bill_payload(ctx: Ctx, bill: t.Bill) -> BillPayload:
    from ..services.bills import lines_of

    vendor = ctx.session.get(t.Vendor, bill.vendor_id)
    if vendor is None or not vendor.accounting_vendor_id:
        raise ConnectorError("vendor_not_mapped", f"Vendor {vendor.name if vendor else '?'} is not mapped to a "
                             "vendor of the accounting platform.", kind="config")
    head = bill.attributes or {}
    lines = []
    for ln in lines_of(ctx, bill):
        attrs = {**{k: v for k, v in head.items() if k != "custom"}, **(ln.attributes or {})}
        lines.append(BillLinePayload(amount=Decimal(ln.amount), description=ln.description,
                                     account_id=attrs.get("gl_account"), dimensions=dimensions_of(attrs),
                                     custom={**(head.get("custom") or {}), **(attrs.get("custom") or {})}))
    return BillPayload(bill_id=bill.id, vendor_external_id=vendor.accounting_vendor_id,
                       invoice_number=bill.invoice_number or "", invoice_date=bill.invoice_date,
                       due_date=bill.due_date, currency=bill.currency, amount=Decimal(bill.amount), lines=lines,
                       memo=bill.memo, terms_external_id=_ref_id(ctx, "terms", bill.payment_terms),
                       dimensions=dimensions_of(head))


def dimensions_of(attributes: dict) -> dict[str, str]:
    """billpay attributes -> connector dimensions: every key but the G/L account and ``custom``."""
    return {k: v for k, v in attributes.items() if k not in NON_DIMENSION_KEYS and isinstance(v, str) and v}


def attributes_of(account_id: str | None, dimensions: dict) -> dict[str, str]:
    """Connector dimensions -> billpay attributes (the inverse of ``dimensions_of``)."""
    return {k: v for k, v in {"gl_account": account_id, **dimensions}.items() if v}


def _summary(payload) -> dict:  # noqa: ANN001
    if isinstance(payload, BillPayload):
        return {"invoice_number": payload.invoice_number, "amount": str(payload.amount),
                "vendor": payload.vendor_external_id, "lines": len(payload.lines),
                "due_date": payload.due_date.isoformat() if payload.due_date else None}
    if isinstance(payload, BillPaymentPayload):
        return {"bill": payload.bill_external_id, "amount": str(payload.amount), "method": payload.method,
                "pay_date": payload.pay_date.isoformat()}
    return {}


def log_attempt(ctx: Ctx, record_type: str, record_id: str, operation: str, *, outcome: str,
                request: dict | None = None, response: dict | None = None,
                error: ConnectorError | None = None) -> None:
    ctx.session.add(t.SyncLog(id=new_id("slg"), org_id=ctx.org_id, record_type=record_type, record_id=record_id,
                              operation=operation, outcome=outcome, request_summary=request,
                              response_summary=response, error_code=error.code if error else None,
                              error_message=error.message if error else None, created_at=ctx.now()))


def record_error(ctx: Ctx, rec: t.SyncRecord, err: ConnectorError) -> bool:
    """Store the error; True when the engine should retry by itself."""
    retry = err.retryable or err.kind == "transient"
    rec.error_code, rec.error_message = err.code, err.message
    rec.error_raw = err.raw if isinstance(err.raw, dict) else ({"detail": str(err.raw)} if err.raw else None)
    if retry:
        rec.state = "pending"
    else:
        rec.state = "error"
        if err.kind in ("rejected", "config"):
            rec.generation += 1  # a fixed record is a new request, not a replay of the refused one
    if err.kind == "auth":
        conn = connection_row(ctx.session, ctx.org_id)
        if conn is not None:
            conn.health = {**(conn.health or {}), "status": "needs_reconnect", "message": err.message,
                           "at": ctx.now().isoformat()}
    return retry


def _begin_attempts(container, org_id: str, record_type: str, ids: list[str]) -> dict[str, tuple[int, int, bool]]:  # noqa: ANN001
    """Commit the attempt before calling the platform; returns id -> (generation, attempts before, unknown)."""
    out = {}
    with container.tx(system_actor(org_id)) as ctx:
        for rid in ids:
            rec = sync_records.get_or_create(ctx, record_type, rid)
            unknown = rec.attempts > 0 and rec.external_id is None and rec.state != "error"
            out[rid] = (rec.generation, rec.attempts, unknown)
            rec.attempts += 1
            rec.last_attempt_at = ctx.now()
    return out


# --- bills ---------------------------------------------------------------------------------------

def push_bills(container, org_id: str, bill_ids: list[str]) -> list[str]:  # noqa: ANN001
    """Create or update these bills on the platform. Returns the ids to retry later."""
    retry: list[str] = []
    with connection_lease(container, org_id) as conn:
        connector = connector_for(container, conn)
        attempts = _begin_attempts(container, org_id, "bill", bill_ids)
        creates, updates, errors = [], [], {}
        with container.tx(system_actor(org_id)) as ctx:
            for bid in bill_ids:
                bill = ctx.get(t.Bill, bid)
                rec = sync_records.get_or_create(ctx, "bill", bid)
                if bill.status == BillStatus.VOID or bill.source == "accounting":
                    continue
                try:
                    payload = bill_payload(ctx, bill)
                except ConnectorError as e:
                    errors[bid] = e
                    continue
                gen = attempts[bid][0]
                if rec.external_id:
                    updates.append((bid, RemoteRef(rec.external_id, rec.external_version), payload, gen))
                else:
                    creates.append((bid, payload, gen, attempts[bid][2]))
        results: dict[str, tuple[RemoteRef | None, ConnectorError | None, str]] = {}
        to_create = []
        for bid, payload, gen, unknown in creates:
            if unknown:  # an earlier attempt may have reached the platform: look before creating
                try:
                    found = connector.find_bill(idempotency_key(bid, "create", gen), payload)
                except ConnectorError as e:
                    results[bid] = (None, e, "find")
                    continue
                if found is not None:
                    results[bid] = (found, None, "found")
                    continue
            to_create.append((idempotency_key(bid, "create", gen), payload))
        payload_by_key = {k: p for k, p in to_create}
        if to_create:
            try:
                for res in connector.push_bills(to_create):
                    bid = payload_by_key[res.key].bill_id
                    results[bid] = (res.ref, res.error, "create")
            except ConnectorError as e:
                for k, p in to_create:
                    results[p.bill_id] = (None, e, "create")
        for bid, ref, payload, gen in updates:
            try:
                new_ref = connector.update_bill(ref, payload, idempotency_key(bid, f"update-{ref.version}", gen))
                results[bid] = (new_ref, None, "update")
            except ConnectorError as e:
                if e.kind == "not_found":  # deleted in the platform: create it again under a new generation
                    results[bid] = (None, e, "update")
                else:
                    results[bid] = (None, e, "update")
        for bid, e in errors.items():
            results[bid] = (None, e, "prepare")
        with container.tx(system_actor(org_id)) as ctx:
            for bid, (ref, err, op) in results.items():
                bill = ctx.get(t.Bill, bid)
                rec = sync_records.get_or_create(ctx, "bill", bid)
                payload_summary = None
                if op in ("create", "update", "found"):
                    try:
                        payload_summary = _summary(bill_payload(ctx, bill))
                    except ConnectorError:
                        payload_summary = None
                if err is None and ref is not None:
                    rec.external_id, rec.external_version = ref.external_id, ref.version
                    rec.state, rec.error_code, rec.error_message, rec.error_raw = "synced", None, None, None
                    rec.last_synced_at, rec.last_sent = ctx.now(), payload_summary
                    bill.synced_once = True
                    log_attempt(ctx, "bill", bid, op, outcome="ok", request=payload_summary,
                                response={"external_id": ref.external_id, "version": ref.version})
                else:
                    if err.kind == "not_found" and op == "update":
                        rec.external_id, rec.external_version = None, None
                        rec.generation += 1
                        err = ConnectorError("platform_record_deleted", "The bill was deleted in the accounting "
                                             "platform; billpay will create it again.", kind="transient")
                    again = record_error(ctx, rec, err)
                    log_attempt(ctx, "bill", bid, op, outcome="retry" if again else "error",
                                request=payload_summary, error=err)
                    if again:
                        retry.append(bid)
    return retry


def void_bill(container, org_id: str, bill_id: str) -> None:  # noqa: ANN001
    with connection_lease(container, org_id) as conn:
        connector = connector_for(container, conn)
        with container.tx(system_actor(org_id)) as ctx:
            rec = sync_records.get_or_create(ctx, "bill", bill_id)
            ref = RemoteRef(rec.external_id, rec.external_version) if rec.external_id else None
            gen = rec.generation
        err = None
        if ref is not None:
            try:
                connector.void_bill(ref, idempotency_key(bill_id, "void", gen))
            except ConnectorError as e:
                err = e
        with container.tx(system_actor(org_id)) as ctx:
            rec = sync_records.get_or_create(ctx, "bill", bill_id)
            if err is None:
                log_attempt(ctx, "bill", bill_id, "void", outcome="ok",
                            response={"external_id": rec.external_id, "deleted": True})
                rec.last_sent = {"voided": True, "external_id": rec.external_id}
                rec.external_id = rec.external_version = None
                rec.state, rec.error_code, rec.error_message = "synced", None, None
                rec.last_synced_at = ctx.now()
                rec.generation += 1  # a bill recreated later is a new record on the platform
            else:
                again = record_error(ctx, rec, err)
                log_attempt(ctx, "bill", bill_id, "void", outcome="retry" if again else "error", error=err)
                if again:
                    raise Retry(err.message, err.retry_after)


# --- bill payments -------------------------------------------------------------------------------

def payment_payload(ctx: Ctx, p: t.Payment) -> BillPaymentPayload:
    bill = ctx.get(t.Bill, p.bill_id)
    if bill.source == "accounting":
        bill_ext = bill.external_id
    else:
        bill_ext = sync_records.get_or_create(ctx, "bill", bill.id).external_id
    vendor = ctx.session.get(t.Vendor, p.vendor_id)
    if not bill_ext:
        raise ConnectorError("bill_not_synced", "The bill of this payment is not in the accounting platform yet; "
                             "sync the bill first.", kind="transient")
    if vendor is None or not vendor.accounting_vendor_id:
        raise ConnectorError("vendor_not_mapped", "The vendor is not mapped to the accounting platform.",
                             kind="config")
    credit_ids = vendor_credits.external_ids(ctx, p)  # hook: vendor credits applied with this payment
    if credit_ids is None:
        raise ConnectorError("credit_not_synced", "A vendor credit taken off this payment is not in the accounting "
                             "platform yet; it is synced first.", kind="transient")
    return BillPaymentPayload(vendor_credit_ids=tuple(credit_ids), payment_id=p.id, bill_external_id=bill_ext,
                              vendor_external_id=vendor.accounting_vendor_id, amount=Decimal(p.amount),
                              currency=p.currency, pay_date=(p.settled_at.date() if p.settled_at else p.pay_date),
                              method=p.method or "ach", memo=f"billpay payment {p.id}")


def push_payments(container, org_id: str, payment_ids: list[str]) -> list[str]:  # noqa: ANN001
    retry: list[str] = []
    with connection_lease(container, org_id) as conn:
        connector = connector_for(container, conn)
        attempts = _begin_attempts(container, org_id, "payment", payment_ids)
        items, results = [], {}
        with container.tx(system_actor(org_id)) as ctx:
            for pid in payment_ids:
                p = ctx.get(t.Payment, pid)
                rec = sync_records.get_or_create(ctx, "payment", pid)
                if p.status != "settled" or (rec.external_id and rec.state == "synced"):
                    continue
                try:
                    items.append((pid, payment_payload(ctx, p), attempts[pid]))
                except ConnectorError as e:
                    results[pid] = (None, e, "prepare")
        to_create = []
        for pid, payload, (gen, _, unknown) in items:
            if unknown:
                try:
                    found = connector.find_bill_payment(idempotency_key(pid, "create", gen), payload)
                except ConnectorError as e:
                    results[pid] = (None, e, "find")
                    continue
                if found is not None:
                    results[pid] = (found, None, "found")
                    continue
            to_create.append((idempotency_key(pid, "create", gen), payload))
        by_key = {k: p for k, p in to_create}
        if to_create:
            try:
                for res in connector.push_bill_payments(to_create):
                    results[by_key[res.key].payment_id] = (res.ref, res.error, "create")
            except ConnectorError as e:
                for k, p in to_create:
                    results[p.payment_id] = (None, e, "create")
        with container.tx(system_actor(org_id)) as ctx:
            for pid, (ref, err, op) in results.items():
                p = ctx.get(t.Payment, pid)
                rec = sync_records.get_or_create(ctx, "payment", pid)
                if err is None and ref is not None:
                    rec.external_id, rec.external_version = ref.external_id, ref.version
                    rec.state, rec.error_code, rec.error_message, rec.error_raw = "synced", None, None, None
                    rec.last_synced_at = ctx.now()
                    rec.last_sent = {"amount": str(p.amount), "bill_id": p.bill_id}
                    log_attempt(ctx, "payment", pid, op, outcome="ok", request=rec.last_sent,
                                response={"external_id": ref.external_id})
                    payment_services.mark_bill_paid(ctx, ctx.get(t.Bill, p.bill_id), p.amount)
                else:
                    again = record_error(ctx, rec, err)
                    log_attempt(ctx, "payment", pid, op, outcome="retry" if again else "error", error=err)
                    if again:
                        retry.append(pid)
    return retry


# --- reference data ---------------------------------------------------------------------------------

def refresh_reference(container, org_id: str) -> dict:  # noqa: ANN001
    with connection_lease(container, org_id) as conn:
        connector = connector_for(container, conn)
        kinds = registry.get(conn.platform).capabilities.reference_kinds
        fetched = {kind: connector.fetch_reference_data(kind) for kind in kinds}
        with container.tx(system_actor(org_id)) as ctx:
            counts = {}
            for kind, items in fetched.items():
                existing = {r.external_id: r for r in ctx.session.scalars(select(t.ReferenceItem).where(
                    t.ReferenceItem.org_id == org_id, t.ReferenceItem.kind == kind))}
                seen = set()
                for it in items:
                    seen.add(it.id)
                    row = existing.get(it.id)
                    if row is None:
                        row = t.ReferenceItem(id=new_id("ref"), org_id=org_id, kind=kind, external_id=it.id)
                        ctx.session.add(row)
                    row.name, row.active, row.extra = it.name, it.active, dict(it.extra or {})
                for ext_id, row in existing.items():
                    if ext_id not in seen:
                        row.active = False  # gone from the platform: keep for history, refuse new use
                counts[kind] = len(items)
            c = ctx.session.get(t.Connection, conn.id)
            c.reference_refreshed_at = ctx.now()
            c.health = {"status": "ok", "message": "Connected", "at": ctx.now().isoformat()}
            ctx.audit("reference_data.refreshed", "connection", conn.id, after=counts)
    return counts
