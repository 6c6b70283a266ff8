"""Pull (SPEC 2.2): open bills of mapped vendors from the platform become read-only bills with payment drafts.

The same pass brings the platform's word on open amounts to pushed and pulled bills (partial payments,
vendor credits, payment by other means: nothing is paid twice) and withdraws pulled bills deleted there.

What a pass covers is kept with the bookmark (``SyncState.scope``: pulling on or off, start date, mapped
vendors). A wider scope than the bookmark covers — pulling turned on, the start date moved earlier, a vendor
mapped since — gets a full pass first, so older open bills are not missed. Deletions come from the
platform's change feed, or on a full pass from an id-keyed comparison: a known bill a full pass did not
list is read by its id, and only a bill that is really gone is withdrawn (one whose date moved before the
start date is left alone). All writes are use cases of ``services.pulled_bills``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from ..db import tables as t
from ..domain.bills import BillStatus
from ..services import pulled_bills
from ..services import sync_records as records
from ..services.orgs import get_settings
from .connections import connector_for
from .engine import attributes_of, fenced, held, system_actor
from .lease import Lease
from .ports import ConnectorError, RemoteBill, RemoteRef

STREAM = pulled_bills.STREAM
EPOCH = dt.date(1970, 1, 1)


def covers(old: dict | None, new: dict) -> bool:
    """Whether a bookmark taken for scope ``old`` also covers ``new`` (else: a full pass)."""
    if not old:
        return False
    if not new.get("enabled"):
        return True  # nothing to pull: the bookmark only watches bills billpay pushed
    if not old.get("enabled") or not old.get("start") or not new.get("start"):
        return False
    return old["start"] <= new["start"] and set(new.get("vendors") or []) <= set(old.get("vendors") or [])


def _mapped_vendors(session, org_id: str, conn_id: str) -> dict[str, t.Vendor]:  # noqa: ANN001
    return {v.accounting_vendor_id: v for v in session.scalars(select(t.Vendor).where(
        t.Vendor.org_id == org_id, t.Vendor.accounting_connection_id == conn_id,
        t.Vendor.accounting_vendor_id.is_not(None)))}


def pull_bills(container: Any, org_id: str, *, full: bool = False, lease: Lease | None = None) -> dict:
    started = container.now()
    with held(container, org_id, lease) as ls:
        conn = ls.connection
        connector = connector_for(container, conn)
        with container.tx(system_actor(org_id)) as ctx:
            settings = get_settings(ctx)
            start = dt.date.fromisoformat(settings["pull_start_date"]) if settings.get("pull_start_date") else None
            enabled = bool(settings.get("pull_bills_enabled") and start)
            scope = {"enabled": enabled, "start": start.isoformat() if enabled else None,
                     "vendors": sorted(_mapped_vendors(ctx.session, org_id, conn.id)) if enabled else []}
            st = pulled_bills.pull_state(ctx, conn.id)
            bookmark = st.bookmark if (not full and covers(st.scope, scope)) else None
        result = connector.pull_bills(bookmark, start if enabled else EPOCH)
        listed = {rb.external_id for rb in result.bills}
        gone: set[str] = set(result.deleted_ids) | {rb.external_id for rb in result.bills if rb.deleted}
        moved: dict[str, RemoteBill] = {}
        if result.full and enabled:
            with container.tx(system_actor(org_id)) as ctx:
                missing = [ext for ext, b in pulled_bills.pulled_bills(ctx, conn.id).items()
                           if ext not in listed and ext not in gone
                           and b.status in (BillStatus.OPEN, BillStatus.PARTIALLY_PAID)]
            for ext in missing:  # id-keyed: read each one a full pass did not list
                try:
                    remote = connector.read_bill(RemoteRef(ext))
                except ConnectorError as e:
                    if e.kind == "not_found":
                        remote = None
                    else:
                        continue  # cannot tell now: leave it for the next pass
                if remote is None or remote.deleted:
                    gone.add(ext)
                else:
                    moved[ext] = remote
        summary = {"created": 0, "updated": 0, "withdrawn": 0, "paid_elsewhere": 0, "held": 0, "unmapped": [],
                   "skipped_before_start": 0, "seen": len(result.bills), "full": result.full,
                   "left_alone": sorted(ext for ext, rb in moved.items()
                                        if rb.invoice_date is not None and start and rb.invoice_date < start)}
        with fenced(container, ls) as ctx:
            vendors = _mapped_vendors(ctx.session, org_id, conn.id)
            pushed = {r.external_id: r for r in ctx.session.scalars(select(t.SyncRecord).where(
                t.SyncRecord.org_id == org_id, t.SyncRecord.connection_id == conn.id,
                t.SyncRecord.record_type == "bill", t.SyncRecord.external_id.is_not(None)))}
            local = pulled_bills.pulled_bills(ctx, conn.id)
            for rb in list(result.bills) + [rb for ext, rb in moved.items() if ext not in summary["left_alone"]]:
                if rb.deleted:
                    continue
                if rb.external_id in pushed:
                    _pushed_changed(ctx, pushed[rb.external_id], rb, summary)
                    continue
                if not enabled:
                    continue
                bill = local.get(rb.external_id)
                if bill is None:
                    _maybe_create(ctx, conn.id, rb, start, vendors, summary)
                else:
                    _update_pulled(ctx, pulled_bills.lock_bill(ctx, bill.id), rb, summary)
            for ext in gone:
                if ext in local:
                    summary["withdrawn"] += pulled_bills.withdraw(
                        ctx, pulled_bills.lock_bill(ctx, local[ext].id), "Deleted in the accounting platform.",
                        "Withdrawn: the bill was deleted in the accounting platform.")
                if ext in pushed:
                    rec = pushed[ext]
                    bill = pulled_bills.lock_bill(ctx, rec.record_id)
                    if bill is not None and bill.status == BillStatus.OPEN:
                        records.record_deleted_on_platform(ctx, rec)
                        records.record_failed(ctx, rec, code="platform_record_deleted", message=(
                            "The bill was deleted in the accounting platform. Re-sync to create it again, or void "
                            "it here."), kind="not_found", retry=False, raw=None, operation="pull")
            st = pulled_bills.pull_state(ctx, conn.id)
            st.bookmark, st.scope = result.bookmark, scope
            st.last_run_at, st.last_result = started, summary
            ctx.audit("bills.pulled", "organization", org_id,
                      after={k: v for k, v in summary.items() if k != "unmapped"} | {"unmapped": len(summary["unmapped"])})
    return summary


def _maybe_create(ctx, conn_id: str, rb: RemoteBill, start: dt.date, vendors: dict, summary: dict) -> None:  # noqa: ANN001
    if not rb.is_open:
        return
    if rb.invoice_date is None or rb.invoice_date < start:
        summary["skipped_before_start"] += 1
        return
    vendor = vendors.get(rb.vendor_external_id)
    if vendor is None:
        summary["unmapped"].append({"external_id": rb.external_id, "vendor_external_id": rb.vendor_external_id,
                                    "invoice_number": rb.invoice_number, "amount": str(rb.amount)})
        return
    pulled_bills.create_pulled(
        ctx, conn_id, external_id=rb.external_id, vendor=vendor, invoice_number=rb.invoice_number,
        invoice_date=rb.invoice_date, due_date=rb.due_date, currency=rb.currency, amount=rb.amount,
        balance=rb.balance, memo=rb.memo,
        lines=[(ln.amount, ln.description, attributes_of(ln.account_id, dict(ln.dimensions))) for ln in rb.lines])
    summary["created"] += 1


def _update_pulled(ctx, bill: t.Bill, rb: RemoteBill, summary: dict) -> None:  # noqa: ANN001
    changed = pulled_bills.update_pulled(ctx, bill, {"invoice_number": rb.invoice_number,
                                                    "invoice_date": rb.invoice_date, "due_date": rb.due_date,
                                                    "amount": rb.amount, "memo": rb.memo})
    if changed:
        summary["updated"] += 1
    _count(summary, pulled_bills.apply_open_amount(ctx, bill, rb.balance, pulled=True))


def _pushed_changed(ctx, rec: t.SyncRecord, rb: RemoteBill, summary: dict) -> None:  # noqa: ANN001
    """A bill billpay pushed changed in the platform: its open amount is the platform's (paid or credited there).

    The record's version is left as billpay last wrote it, so a later re-sync notices the platform's edit as
    a concurrency conflict and merges instead of overwriting it."""
    bill = pulled_bills.lock_bill(ctx, rec.record_id)
    if bill is None:
        return
    changed = pulled_bills.apply_open_amount(ctx, bill, rb.balance, pulled=False)
    _count(summary, changed)
    if changed["paid_elsewhere"]:
        records.log_attempt(ctx, rec, "pull", outcome="ok", response={"balance": str(rb.balance),
                                                                      "paid_elsewhere": True})


def _count(summary: dict, changed: dict) -> None:
    for key in ("paid_elsewhere", "withdrawn", "held"):
        summary[key] += changed.get(key, 0)
