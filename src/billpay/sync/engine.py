"""The sync engine: push bills, void them, sync bill payments, keep reference data.

Every platform write follows one pattern, which is what makes it safe to retry, crash or run twice:

1. Under the connection's fenced lease (``sync.lease``), in a short transaction, the create request is
   kept **as it will be sent** (``sync_attempts``: the items in order, each with its idempotency key
   ``<record>:<action>#<generation>`` and its payload) and the records point at it. Committed before the
   platform is called.
2. The platform is called with exactly that request. The platform's idempotency (QuickBooks
   ``requestid`` of the batch, NetSuite external id, Intacct control id, Business Central business key)
   makes a repeat of the same request answer instead of executing twice.
3. The outcome is written in a transaction that first checks the lease is still ours (a holder that lost
   it writes nothing and stops). A record whose outcome stays unknown (timeout, crash, lost lease) keeps
   its attempt: the next run **replays the request as it was sent** — not the bill as edited since — so
   the answer settles it without a lookup; its key fields stay frozen meanwhile.

Creates are grouped into full platform batches (``Capabilities.batch_size``) of everything the
connection has pending, whatever the number of workers. Waiting for a busy connection uses up no
attempt (``sync.worker``).
"""
from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import or_, select

from ..connectors import registry
from ..connectors.base.idempotency import idempotency_key
from ..db import tables as t
from ..domain.bills import BillStatus
from ..ids import new_id
from ..services import accounting, pulled_bills
from ..services import sync_records as records
from ..services.bills import lines_of
from ..services.coding import EXCHANGE_RATE, exchange_rate_of
from ..services.context import Ctx
from ..services.vendors import mapped_vendor_id
from . import payloads
from .attempts import (
    apply,
    chunks,
    error_fields,
    fenced,
    held,
    retryable,
    send,
    summary,
    system_actor,
    waiting_attempts,
)
from .bill_payments import payment_payload, push_payments, reverse_payments
from .connections import connector_for
from .lease import ConnectionBusy, Lease, LeaseLost, NotConnected
from .merge import merge_coding
from .ports import BillLinePayload, BillPayload, ConnectorError, RemoteRef

log = logging.getLogger("billpay.sync")
NON_DIMENSION_KEYS = frozenset({"gl_account", "custom", EXCHANGE_RATE})
STALE_VERSION = "platform_stale_version"
#: Platform edits to a pushed bill that billpay takes over (terms are the platform's own record, kept there).
ADOPTED = ("invoice_number", "invoice_date", "due_date", "memo")

__all__ = ["ConnectionBusy", "LeaseLost", "NotConnected", "FIXES", "push_bills", "push_payments", "reverse_payments",
           "payment_payload", "void_bill", "refresh_reference", "dimensions_of", "attributes_of", "fix_for", "held",
           "fenced", "system_actor", "revoke_grant"]

# Fixes in words, by error code, for the dashboard (a platform's plugin may say it in its own words).
FIXES = {
    "vendor_not_mapped": "Map the vendor to a vendor of the accounting platform on the vendor's page, then re-sync.",
    "payload_invalid": "Open the bill and complete what the message names (GL account on every line, mapped vendor), "
                       "then re-sync.",
    "platform_auth_revoked": "An admin must reconnect the accounting platform on the Connections page.",
    "platform_auth_expired": "An admin must reconnect the accounting platform on the Connections page.",
    "platform_auth_missing": "An admin must reconnect the accounting platform on the Connections page.",
    "platform_client_invalid": "The app's client id or secret was refused; an admin must reconnect with valid "
                               "credentials.",
    "platform_forbidden": "The connected user may not do this in the platform; reconnect with an administrator of "
                          "the company.",
    "platform_subscription_inactive": "The accounting platform subscription is inactive; renew it, then re-sync.",
    "platform_period_closed": "The accounting period is closed. Reopen it in the platform or change the bill date, "
                              "then re-sync.",
    "platform_vendor_inactive": "Reactivate the vendor in the accounting platform or map another vendor, then re-sync.",
    "platform_reference_inactive": "A GL account or dimension on the bill is inactive in the platform; choose an "
                                   "active one, then re-sync.",
    "platform_reference_invalid": "A value on the bill no longer exists in the platform; refresh reference data, "
                                  "recode the bill, then re-sync.",
    "platform_duplicate_number": "A bill with this invoice number already exists for the vendor in the platform. "
                                 "Check for a duplicate.",
    "platform_bill_has_payments": "The bill has payments in the platform; remove them there before voiding.",
    "platform_bill_already_paid": "The bill is already paid in the platform; billpay did not pay it twice. Check the "
                                  "payment.",
    "platform_bill_deleted": "The bill was deleted in the platform; re-sync it or void the payment.",
    "platform_record_deleted": "The bill was deleted in the platform; re-sync to create it again, or void it here.",
    "platform_bank_account_missing": "Choose the bank account bill payments in this currency are drawn from on the "
                                     "Connections page, then retry.",
    "platform_currency_unsupported": "Turn on multicurrency in the platform or use the company's home currency.",
    "platform_rate_limited": "The platform is busy; billpay retries by itself.",
    "platform_unavailable": "The platform is unavailable; billpay retries by itself.",
    "platform_timeout": "The platform did not answer in time; billpay retries by itself without creating duplicates.",
    "platform_conflict": "The bill was changed in the platform in a way billpay cannot merge; open it there, then "
                         "re-sync.",
    records.RETRIES_EXHAUSTED: "Fix what the message says (or wait until the platform is back), then press Retry.",
}


def fix_for(platform: str | None, code: str | None) -> str:
    plugin = _plugin_or_none(platform)
    if plugin is not None and code in plugin.fixes:
        return plugin.fixes[code]
    return FIXES.get(code or "", "Open the record, fix what the message says, then press Retry.")


def _plugin_or_none(platform: str | None) -> registry.PlatformPlugin | None:
    try:
        return registry.get(platform)
    except LookupError:
        return None


# --- payloads ------------------------------------------------------------------------------------------

def _ref_id(ctx: Ctx, conn_id: str, kind: str, name: str | None) -> str | None:
    if not name:
        return None
    item = ctx.session.scalars(select(t.ReferenceItem).where(
        t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.connection_id == conn_id, t.ReferenceItem.kind == kind,
        or_(t.ReferenceItem.name == name, t.ReferenceItem.external_id == name))).first()
    return item.external_id if item else None


def dimensions_of(attributes: dict) -> dict[str, str]:
    """billpay attributes -> connector dimensions: every key but the G/L account and ``custom`` (one mapping for
    push and pull; the keys are the dimension codes the platform's plugin declares)."""
    return {k: v for k, v in attributes.items() if k not in NON_DIMENSION_KEYS and isinstance(v, str) and v}


def attributes_of(account_id: str | None, dimensions: dict) -> dict[str, str]:
    """Connector dimensions -> billpay attributes (the inverse of ``dimensions_of``)."""
    return {k: v for k, v in {"gl_account": account_id, **dimensions}.items() if v}


def platform_vendor_id(ctx: Ctx, bill: t.Bill, conn: t.Connection) -> str:
    """The platform vendor a bill (or credit note) goes to on ``conn``; refused while its vendor is not mapped."""
    vendor = ctx.session.get(t.Vendor, bill.vendor_id) if bill.vendor_id else None
    vendor_ext = mapped_vendor_id(vendor, conn.id) if vendor is not None else None
    if not vendor_ext:
        raise ConnectorError("vendor_not_mapped", f"Vendor {vendor.name if vendor else '?'} is not mapped to a "
                             "vendor of the connected accounting platform.", kind="config")
    return vendor_ext


def line_payloads(head: dict, lines: Sequence[t.BillLine]) -> list[BillLinePayload]:
    """Each line with the header's coding under its own (a line's value wins)."""
    out = []
    for ln in lines:
        attrs = {**{k: v for k, v in head.items() if k != "custom"}, **(ln.attributes or {})}
        out.append(BillLinePayload(amount=Decimal(ln.amount), description=ln.description,
                                   account_id=attrs.get("gl_account"), dimensions=dimensions_of(attrs),
                                   custom={**(head.get("custom") or {}), **(attrs.get("custom") or {})}))
    return out


def bill_payload(ctx: Ctx, bill: t.Bill, conn: t.Connection, lines: Sequence[t.BillLine]) -> BillPayload:
    vendor_ext = platform_vendor_id(ctx, bill, conn)
    head = bill.attributes or {}
    return BillPayload(bill_id=bill.id, vendor_external_id=vendor_ext, invoice_number=bill.invoice_number or "",
                       invoice_date=bill.invoice_date, due_date=bill.due_date, currency=bill.currency,
                       amount=Decimal(bill.amount), lines=line_payloads(head, lines), memo=bill.memo,
                       terms_external_id=_ref_id(ctx, conn.id, "terms", bill.payment_terms),
                       dimensions=dimensions_of(head), exchange_rate=exchange_rate_of(head))


# --- bills -----------------------------------------------------------------------------------------------

def push_bills(container: Any, org_id: str, bill_ids: list[str], lease: Lease | None = None
               ) -> dict[str, float | None]:
    """Create or update these bills on the platform. Returns the ids to retry later (id -> delay or None)."""
    retry: dict[str, float | None] = {}
    with held(container, org_id, lease) as ls:
        conn = ls.connection
        plugin = registry.get(conn.platform)
        connector = connector_for(container, conn)
        creates: list[dict] = []
        updates: list[tuple[str, RemoteRef, BillPayload, int]] = []
        with fenced(container, ls) as ctx:
            replays = waiting_attempts(ctx, conn.id, "bill", bill_ids)
            for bid in dict.fromkeys(bill_ids):
                bill = ctx.session.get(t.Bill, bid)
                if (bill is None or bill.org_id != org_id or bill.status == BillStatus.VOID
                        or bill.source == "accounting" or bill.kind == "credit"):
                    continue  # credit notes are the platform's vendor credits (``sync.vendor_credits``)
                rec = records.get_or_create(ctx, "bill", bid, conn.id)
                if rec.attempt_id:
                    records.note_attempt(ctx, rec)
                    continue  # its kept request is replayed below
                try:
                    payload = bill_payload(ctx, bill, conn, lines_of(ctx, bill))
                except ConnectorError as e:
                    records.note_attempt(ctx, rec)
                    records.record_failed(ctx, rec, **error_fields(e), retry=False, operation="prepare")
                    continue
                records.note_attempt(ctx, rec)
                if rec.external_id:
                    updates.append((bid, RemoteRef(rec.external_id, rec.external_version), payload, rec.generation))
                else:
                    creates.append({"record_id": bid, "key": idempotency_key(bid, "create", rec.generation),
                                    "payload": payloads.encode(payload)})
            fresh = [records.begin_create(ctx, conn.id, "bill", "create", chunk, ls.token)
                     for chunk in chunks(creates, plugin.capabilities.batch_size)]
            for att in list(replays.values()) + fresh:
                ctx.session.expunge(att)

        def synced(ctx: Ctx, rec: t.SyncRecord, item: dict) -> None:
            bill = ctx.session.get(t.Bill, rec.record_id)
            bill.synced_once = True
            # Edited while the create was in doubt: bring the platform up to date with an update.
            if bill.status not in (BillStatus.VOID,) and item["payload"] != _current_payload(ctx, bill, conn):
                ctx.enqueue("push_bill", bill.id)

        for att, replay in [(a, True) for a in replays.values()] + [(a, False) for a in fresh]:
            sent = send(att, connector.push_bills, BillPayload)
            with fenced(container, ls) as ctx:
                retry.update(apply(ctx, sent, "bill", replay=replay, on_synced=synced))
        for bid, ref, payload, gen in updates:
            new_ref, err, kept = _update(connector, plugin, bid, ref, payload, gen)
            with fenced(container, ls) as ctx:
                rec = records.get_or_create(ctx, "bill", bid, conn.id)
                if err is None:
                    if kept:  # what a person changed on the platform comes into billpay
                        pulled_bills.update_pulled(ctx, ctx.session.get(t.Bill, bid),
                                                   {k: v for k, v in kept.items() if k in ADOPTED})
                    records.record_synced(ctx, rec, new_ref.external_id, new_ref.version, operation="update",
                                          sent=summary(payload), kept=sorted(kept))
                elif err.kind == "not_found":
                    records.record_deleted_on_platform(ctx, rec)
                    records.record_failed(ctx, rec, code="platform_record_deleted", message="The bill was deleted in "
                                          "the accounting platform; billpay will create it again.",
                                          kind="transient", retry=True, raw=None, operation="update")
                    retry[bid] = None
                else:
                    again = retryable(err)
                    records.record_failed(ctx, rec, **error_fields(err), retry=again, operation="update",
                                          sent=summary(payload))
                    if again:
                        retry[bid] = err.retry_after
    return retry


def _update(connector: Any, plugin: registry.PlatformPlugin, bid: str, ref: RemoteRef, payload: BillPayload,
            gen: int) -> tuple[RemoteRef | None, ConnectorError | None, dict]:
    """Re-sync one bill: ``(new ref, error, fields kept from the platform)``. A bill changed on the platform since
    billpay last wrote it (``platform_stale_version``) is read again and billpay's coding merged into it
    (``sync.merge``); what cannot be merged is a ``platform_conflict`` in words, and nothing is overwritten."""
    try:
        return connector.update_bill(ref, payload, idempotency_key(bid, f"update-{ref.version}", gen)), None, {}
    except ConnectorError as e:
        if e.code != STALE_VERSION:
            return None, e, {}
    try:
        theirs = connector.read_bill(RemoteRef(ref.external_id))
        if theirs is None or theirs.deleted:
            raise ConnectorError("platform_record_deleted", "The bill was deleted in the accounting platform.",
                                 kind="not_found")
        merged = merge_coding(payload, theirs, plugin.display_name)
        if merged.conflict is not None:
            raise ConnectorError("platform_conflict", merged.conflict, kind="rejected",
                                 raw={"platform_version": theirs.version, "billpay_version": ref.version})
        key = idempotency_key(bid, f"update-{theirs.version}", gen)
        return connector.update_bill(RemoteRef(ref.external_id, theirs.version), merged.payload, key), None, \
            merged.kept
    except ConnectorError as e:
        return None, e, {}


def _current_payload(ctx: Ctx, bill: t.Bill, conn: t.Connection) -> dict | None:
    try:
        return payloads.encode(bill_payload(ctx, bill, conn, lines_of(ctx, bill)))
    except ConnectorError:
        return None


def void_bill(container: Any, org_id: str, bill_id: str, lease: Lease | None = None) -> dict[str, float | None]:
    """Void (or delete, as the platform allows) a pushed bill. A bill whose create is in doubt is first settled by
    replaying the create as it was sent (the platform answers with the bill if it exists), then voided: nothing is
    left open on the platform."""
    with held(container, org_id, lease) as ls:
        conn = ls.connection
        connector = connector_for(container, conn)
        with fenced(container, ls) as ctx:
            rec = records.get_or_create(ctx, "bill", bill_id, conn.id)
            waiting = waiting_attempts(ctx, conn.id, "bill", [bill_id])
            for att in waiting.values():
                ctx.session.expunge(att)
        for att in waiting.values():
            sent = send(att, connector.push_bills, BillPayload)
            with fenced(container, ls) as ctx:
                again = apply(ctx, sent, "bill", replay=True, on_synced=lambda *_: None)
            if bill_id in again:
                return {bill_id: again[bill_id]}
        with container.tx(system_actor(org_id)) as ctx:
            rec = records.get_or_create(ctx, "bill", bill_id, conn.id)
            ref = RemoteRef(rec.external_id, rec.external_version) if rec.external_id else None
            gen = rec.generation
        err = None
        if ref is not None:
            try:
                connector.void_bill(ref, idempotency_key(bill_id, "void", gen))
            except ConnectorError as e:
                err = e
        with fenced(container, ls) as ctx:
            rec = records.get_or_create(ctx, "bill", bill_id, conn.id)
            if err is None:
                records.record_voided(ctx, rec)
                return {}
            again = retryable(err)
            records.record_failed(ctx, rec, **error_fields(err), retry=again, operation="void")
            return {bill_id: err.retry_after} if again else {}


# --- reference data ---------------------------------------------------------------------------------------

def refresh_reference(container: Any, org_id: str, lease: Lease | None = None) -> dict:
    with held(container, org_id, lease) as ls:
        conn = ls.connection
        connector = connector_for(container, conn)
        kinds = registry.get(conn.platform).capabilities.reference_kinds
        fetched = {kind: connector.fetch_reference_data(kind) for kind in kinds}
        with fenced(container, ls) as ctx:
            counts = {}
            for kind, items in fetched.items():
                existing = {r.external_id: r for r in ctx.session.scalars(select(t.ReferenceItem).where(
                    t.ReferenceItem.org_id == org_id, t.ReferenceItem.connection_id == conn.id,
                    t.ReferenceItem.kind == kind))}
                seen = set()
                for it in items:
                    seen.add(it.id)
                    row = existing.get(it.id)
                    if row is None:
                        row = t.ReferenceItem(id=new_id("ref"), org_id=org_id, connection_id=conn.id, kind=kind,
                                              external_id=it.id)
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


def revoke_grant(container: Any, org_id: str, connection_id: str) -> bool:
    """After a disconnect, revoke billpay's grant on the platform (``revoke()``), then forget the secrets. A
    connection connected again meanwhile (the same company revived) keeps its grant. Returns whether the
    platform was asked. Raises ``ConnectorError`` when the platform could not be asked now."""
    with container.sessionmaker() as s:
        conn = s.get(t.Connection, connection_id)
        if conn is None or conn.org_id != org_id or conn.status == "connected" or not conn.secrets_enc:
            return False
        s.expunge(conn)
    revoke = getattr(connector_for(container, conn), "revoke", None)
    if revoke is not None:
        revoke()
    with container.tx(system_actor(org_id)) as ctx:
        accounting.grant_revoked(ctx, connection_id, asked=revoke is not None)
    return revoke is not None
