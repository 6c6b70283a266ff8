"""Kept requests: what a create sent, sent again as it was, and its answer written under the lease.

Every platform write of the sync engine follows one pattern (see ``sync.engine``): the request is kept as it
will be sent (``sync_attempts``), committed, sent; its outcome is written in a transaction that first checks
the connection's lease is still ours (``fenced``). A record whose outcome stays unknown keeps its attempt and
the next run replays it exactly (``send`` of the same attempt).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from sqlalchemy import select

from ..db import tables as t
from ..services import sync_records as records
from ..services.context import Actor, Ctx
from . import payloads
from .lease import Lease
from .ports import BillPayload, BillPaymentPayload, ConnectorError, VendorCreditPayload, VendorPayload, WriteResult


def system_actor(org_id: str) -> Actor:
    return Actor.system(org_id)


@contextlib.contextmanager
def held(container: Any, org_id: str, lease: Lease | None) -> Iterator[Lease]:
    """The caller's lease, or one taken (and released) here."""
    if lease is not None:
        yield lease
        return
    with Lease(container, org_id) as own:
        yield own


@contextlib.contextmanager
def fenced(container: Any, lease: Lease) -> Iterator[Ctx]:
    """A transaction that writes only while ``lease`` is still ours (``LeaseLost`` otherwise)."""
    with container.tx(system_actor(lease.org_id)) as ctx:
        lease.check(ctx.session)
        yield ctx


def summary(payload: Any) -> dict:
    if isinstance(payload, BillPayload):
        return {"invoice_number": payload.invoice_number, "amount": str(payload.amount),
                "vendor": payload.vendor_external_id, "lines": len(payload.lines),
                "due_date": payload.due_date.isoformat() if payload.due_date else None}
    if isinstance(payload, BillPaymentPayload):
        out = {"bill": payload.bill_external_id, "amount": str(payload.amount), "method": payload.method,
               "pay_date": payload.pay_date.isoformat(), "bank_account": payload.bank_account_id}
        return out | ({"vendor_credits": list(payload.vendor_credit_ids)} if payload.vendor_credit_ids else {})
    if isinstance(payload, VendorCreditPayload):
        return {"reference": payload.reference, "amount": str(payload.amount), "vendor": payload.vendor_external_id,
                "lines": len(payload.lines), "credit_date": payload.credit_date.isoformat()}
    if isinstance(payload, VendorPayload):
        return {"name": payload.name, "email": payload.email}
    return {}


def error_fields(err: ConnectorError) -> dict:
    raw = err.raw if isinstance(err.raw, dict) else ({"detail": str(err.raw)} if err.raw else None)
    return {"code": err.code, "message": err.message, "kind": err.kind, "raw": raw}


def retryable(err: ConnectorError) -> bool:
    return err.retryable or err.kind == "transient"


@dataclass
class Sent:
    """One kept request and what the platform answered, item by item (key -> WriteResult)."""

    attempt: t.SyncAttempt
    results: dict[str, WriteResult]
    failure: ConnectorError | None = None  # the whole call failed


def send(attempt: t.SyncAttempt, write: Callable[[list[tuple[str, Any]]], list[WriteResult]],
          cls: type) -> Sent:
    items = [(it["key"], payloads.decode(cls, it["payload"])) for it in attempt.items]
    try:
        answered = write(items)
    except ConnectorError as e:
        return Sent(attempt, {}, e)
    return Sent(attempt, {r.key: r for r in answered})


def send_together(attempts: Sequence[t.SyncAttempt], write: Callable[[list[tuple[str, Any]]], list[WriteResult]],
                  cls: type) -> list[Sent]:
    """Fresh kept requests sent in one call to the connector, which cuts the items into the same platform batches
    as the requests were kept in (each one full batch of ``batch_size`` but the last); one ``Sent`` per request.
    So what a connector reads once per call (QuickBooks reads the bills a set of bill payments pays, to refuse
    paying one twice) is read once for all of them, not once per batch. Replays are sent one by one (``send``)."""
    items = [(it["key"], payloads.decode(cls, it["payload"])) for att in attempts for it in att.items]
    try:
        answered = {r.key: r for r in write(items)}
    except ConnectorError as e:
        return [Sent(att, {}, e) for att in attempts]
    return [Sent(att, {it["key"]: answered[it["key"]] for it in att.items if it["key"] in answered})
            for att in attempts]


def apply(ctx: Ctx, sent: Sent, record_type: str, *, replay: bool,
          on_synced: Callable[[Ctx, t.SyncRecord, dict], None], payload_kind: str | None = None,
          operation: str = "create") -> dict[str, float | None]:
    """Write what a kept request's answer says about each record still waiting on it; returns the retries.

    ``payload_kind``: the payload's kind in ``payloads.KINDS`` when it is not the record type's (a credit note is a
    bill row whose request is a vendor credit)."""
    retry: dict[str, float | None] = {}
    op = "replay" if replay else operation
    cls = payloads.KINDS[payload_kind or record_type]
    for item in sent.attempt.items:
        rec = records.get_or_create(ctx, record_type, item["record_id"], sent.attempt.connection_id)
        if rec.attempt_id != sent.attempt.id:
            continue  # settled meanwhile (found, voided)
        sent_summary = summary(payloads.decode(cls, item["payload"]))
        if sent.failure is not None:
            err = sent.failure
            # A request that certainly never reached the platform settles a first send; a replay's failure
            # says nothing about the original request, which stays in doubt.
            answered = not err.outcome_unknown and not replay
            again = retryable(err) or not answered
            records.record_failed(ctx, rec, **error_fields(err), retry=again, operation=op, sent=sent_summary,
                                  answered=answered)
            if again:
                retry[rec.record_id] = err.retry_after
            continue
        res = sent.results.get(item["key"])
        if res is None:
            records.record_failed(ctx, rec, code="platform_unexpected_response", message="The platform did not "
                                  "answer for this record; billpay asks again with the same request.",
                                  kind="transient", retry=True, raw=None, operation=op, sent=sent_summary, answered=False)
            retry[rec.record_id] = None
        elif res.ref is not None:
            records.record_synced(ctx, rec, res.ref.external_id, res.ref.version, operation=op, sent=sent_summary)
            on_synced(ctx, rec, item)
        else:
            err = res.error
            answered = not err.outcome_unknown
            again = retryable(err)
            records.record_failed(ctx, rec, **error_fields(err), retry=again, operation=op, sent=sent_summary,
                                  answered=answered)
            if again:
                retry[rec.record_id] = err.retry_after
    return retry


def waiting_attempts(ctx: Ctx, conn_id: str, record_type: str, ids: Sequence[str],
                     action: str = "create") -> dict[str, t.SyncAttempt]:
    """The kept, unsettled ``action`` requests the records ``ids`` wait on (id -> attempt). A credit note is a bill
    row whose kept request is a vendor credit (action ``credit``): a bill's create never replays it."""
    recs = [records.get(ctx, conn_id, record_type, rid) for rid in ids]
    att_ids = {r.attempt_id for r in recs if r is not None and r.attempt_id}
    return {a.id: a for a in ctx.session.scalars(select(t.SyncAttempt).where(
        t.SyncAttempt.id.in_(att_ids), t.SyncAttempt.action == action))} if att_ids else {}


def chunks(items: list, size: int) -> Iterator[list]:
    size = max(1, size)
    for i in range(0, len(items), size):
        yield items[i:i + size]
