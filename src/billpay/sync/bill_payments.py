"""Bill payments: a settled payment recorded on the platform against its bill, and reversed there when the bank
returns it after settlement (the bill reopens on the platform). Same kept-request pattern as bills
(``sync.attempts``)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..connectors import registry
from ..connectors.base.idempotency import idempotency_key
from ..db import tables as t
from ..domain.payments import PaymentStatus
from ..services import payments as payment_services
from ..services import sync_records as records
from ..services import vendor_credits
from ..services.context import Ctx
from ..services.vendors import mapped_vendor_id
from . import payloads
from .attempts import apply, chunks, error_fields, fenced, held, retryable, send, send_together, waiting_attempts
from .connections import connector_for
from .lease import Lease
from .ports import BillPaymentPayload, ConnectorError, RemoteRef


def payment_payload(ctx: Ctx, p: t.Payment, conn: t.Connection) -> BillPaymentPayload:
    bill = ctx.get(t.Bill, p.bill_id)
    if bill.source == "accounting":
        bill_ext = bill.external_id if bill.connection_id == conn.id else None
    else:
        rec = records.get(ctx, conn.id, "bill", bill.id)
        bill_ext = rec.external_id if rec is not None else None
    vendor = ctx.session.get(t.Vendor, p.vendor_id)
    if not bill_ext:
        raise ConnectorError("bill_not_synced", "The bill of this payment is not in the accounting platform yet; "
                             "sync the bill first.", kind="transient")
    vendor_ext = mapped_vendor_id(vendor, conn.id) if vendor is not None else None
    if not vendor_ext:
        raise ConnectorError("vendor_not_mapped", "The vendor is not mapped to the accounting platform.",
                             kind="config")
    credit_ids = vendor_credits.external_ids(ctx, p, conn.id)  # vendor credits applied with this payment
    if credit_ids is None:
        raise ConnectorError("credit_not_synced", "A vendor credit taken off this payment is not in the accounting "
                             "platform yet; it is synced first.", kind="transient")
    options = (conn.config or {}).get("options") or {}
    bank = (options.get("bank_accounts") or {}).get(p.currency) or options.get("bank_account_id")
    return BillPaymentPayload(payment_id=p.id, bill_external_id=bill_ext, vendor_external_id=vendor_ext,
                              amount=Decimal(p.amount), currency=p.currency,
                              pay_date=(p.settled_at.date() if p.settled_at else p.pay_date),
                              method=p.method or "ach", bank_account_id=bank, memo=f"billpay payment {p.id}",
                              vendor_credit_ids=tuple(credit_ids))


def push_payments(container: Any, org_id: str, payment_ids: list[str], lease: Lease | None = None
                  ) -> dict[str, float | None]:
    retry: dict[str, float | None] = {}
    with held(container, org_id, lease) as ls:
        conn = ls.connection
        plugin = registry.get(conn.platform)
        connector = connector_for(container, conn)
        creates: list[dict] = []
        with fenced(container, ls) as ctx:
            replays = waiting_attempts(ctx, conn.id, "payment", payment_ids)
            for pid in dict.fromkeys(payment_ids):
                p = ctx.session.get(t.Payment, pid)
                if p is None or p.org_id != org_id:
                    continue
                rec = records.get_or_create(ctx, "payment", pid, conn.id)
                if rec.attempt_id:
                    records.note_attempt(ctx, rec)
                    continue
                if p.status != "settled" or (rec.external_id and rec.state == "synced"):
                    continue
                records.note_attempt(ctx, rec)
                try:
                    payload = payment_payload(ctx, p, conn)
                except ConnectorError as e:
                    again = retryable(e)
                    records.record_failed(ctx, rec, **error_fields(e), retry=again, operation="prepare")
                    if again:
                        retry[pid] = None
                    continue
                creates.append({"record_id": pid, "key": idempotency_key(pid, "create", rec.generation),
                                "payload": payloads.encode(payload)})
            fresh = [records.begin_create(ctx, conn.id, "payment", "create", chunk, ls.token)
                     for chunk in chunks(creates, plugin.capabilities.batch_size)]
            for att in list(replays.values()) + fresh:
                ctx.session.expunge(att)

        def synced(ctx: Ctx, rec: t.SyncRecord, item: dict) -> None:
            p = ctx.session.get(t.Payment, rec.record_id)
            if p.status == PaymentStatus.SETTLED:  # returned meanwhile: the reversal undoes it on the platform
                payment_services.mark_bill_paid(ctx, ctx.get(t.Bill, p.bill_id), p.amount)

        for att in replays.values():
            sent = send(att, connector.push_bill_payments, BillPaymentPayload)
            with fenced(container, ls) as ctx:
                retry.update(apply(ctx, sent, "payment", replay=True, on_synced=synced))
        for sent in send_together(fresh, connector.push_bill_payments, BillPaymentPayload) if fresh else ():
            with fenced(container, ls) as ctx:
                retry.update(apply(ctx, sent, "payment", replay=False, on_synced=synced))
    return retry


def reverse_payments(container: Any, org_id: str, payment_ids: list[str], lease: Lease | None = None
                     ) -> dict[str, float | None]:
    """Reverse the bill payments of payments the bank returned after settlement (``void_bill_payment``: void or
    delete, as the platform does it); the bill reopens on the platform. A create still in doubt is first settled
    by replaying it as it was sent, then reversed: nothing stays paid there."""
    retry: dict[str, float | None] = {}
    with held(container, org_id, lease) as ls:
        conn = ls.connection
        connector = connector_for(container, conn)
        with fenced(container, ls) as ctx:
            waiting = waiting_attempts(ctx, conn.id, "payment", payment_ids)
            for att in waiting.values():
                ctx.session.expunge(att)
        for att in waiting.values():
            sent = send(att, connector.push_bill_payments, BillPaymentPayload)
            with fenced(container, ls) as ctx:
                again = apply(ctx, sent, "payment", replay=True, on_synced=lambda *_: None)
            retry.update({pid: delay for pid, delay in again.items() if pid in payment_ids})
        for pid in dict.fromkeys(payment_ids):
            if pid in retry:
                continue
            with fenced(container, ls) as ctx:
                p = ctx.session.get(t.Payment, pid)
                rec = records.get(ctx, conn.id, "payment", pid)
                if p is None or p.org_id != org_id or rec is None or p.status != PaymentStatus.FAILED:
                    continue
                if not rec.external_id:
                    records.request_reversal(ctx, "payment", pid)  # never reached the platform
                    continue
                ref, gen = RemoteRef(rec.external_id, rec.external_version), rec.generation
            err = None
            try:
                reverse = getattr(connector, "void_bill_payment", None)
                if reverse is None:
                    raise ConnectorError("platform_unsupported", "This platform's connector cannot reverse a bill "
                                         "payment; reverse it in the platform, then press Retry.", kind="config")
                reverse(ref, idempotency_key(pid, "reverse", gen))
            except ConnectorError as e:
                err = e
            with fenced(container, ls) as ctx:
                rec = records.get_or_create(ctx, "payment", pid, conn.id)
                if err is None:
                    records.record_reversed(ctx, rec)
                    continue
                again = retryable(err)
                records.record_failed(ctx, rec, **error_fields(err), retry=again, operation="reverse")
                if again:
                    retry[pid] = err.retry_after
    return retry
