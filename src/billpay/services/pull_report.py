"""What Sync Bills did not bring in, and why, in words a clerk can act on.

The pull (``sync.pull``) records in its stream's ``last_result`` the open bills it skipped: those of
platform vendors no billpay vendor is mapped to (``unmapped``) and those dated before the start
date (``skipped_before_start``). This module names the vendors (from the platform's reference data),
says which billpay vendor to map (an exact name match) or offers to add one, and — when a vendor gets
mapped — makes the next pull a full one so the bills it skipped come in (the pull's scope also widens
by itself when the mapped vendors change). Everything is read for the current connection.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from ..db import tables as t
from .context import Ctx
from .orgs import get_settings
from .sync_records import current_connection

PULL_STREAM = "bills_pull"  # the pull's stream (``sync.pull.STREAM``)


def _connection_id(ctx: Ctx) -> str | None:
    conn = current_connection(ctx.session, ctx.org_id)
    return conn.id if conn is not None else None


def _pull_state(ctx: Ctx, conn_id: str | None) -> t.SyncState | None:
    if conn_id is None:
        return None
    return ctx.session.scalars(select(t.SyncState).where(t.SyncState.org_id == ctx.org_id,
                                                         t.SyncState.connection_id == conn_id,
                                                         t.SyncState.stream == PULL_STREAM)).first()


def not_brought_in(ctx: Ctx) -> dict:
    """The last pull's skipped bills: ``{"unmapped": [...per platform vendor], "before_start", "start_date"}``."""
    conn_id = _connection_id(ctx)
    st = _pull_state(ctx, conn_id)
    result = (st.last_result if st else None) or {}
    by_vendor: dict[str, dict] = {}
    for item in result.get("unmapped") or []:
        ext = str(item.get("vendor_external_id") or "")
        entry = by_vendor.setdefault(ext, {"vendor_external_id": ext, "bills": 0, "invoice_numbers": [],
                                           "amount": Decimal(0)})
        entry["bills"] += 1
        if item.get("invoice_number"):
            entry["invoice_numbers"].append(item["invoice_number"])
        entry["amount"] += Decimal(str(item.get("amount") or 0))
    names = {r.external_id: r for r in ctx.session.scalars(select(t.ReferenceItem).where(
        t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.connection_id == conn_id,
        t.ReferenceItem.kind == "vendors", t.ReferenceItem.external_id.in_(list(by_vendor))))} if by_vendor else {}
    out = []
    for ext, entry in by_vendor.items():
        ref = names.get(ext)
        name = ref.name if ref else f"vendor {ext} of the accounting platform"
        ours = ctx.session.scalars(select(t.Vendor).where(
            t.Vendor.org_id == ctx.org_id, func.lower(t.Vendor.name) == name.lower())).first() if ref else None
        mapped_now = ctx.session.scalars(select(t.Vendor.id).where(
            t.Vendor.org_id == ctx.org_id, t.Vendor.accounting_connection_id == conn_id,
            t.Vendor.accounting_vendor_id == ext)).first()
        out.append({**entry, "amount": str(entry["amount"]), "vendor_name": name,
                    "vendor_id": ours.id if ours else None, "mapped_now": mapped_now is not None})
    out.sort(key=lambda e: e["vendor_name"].lower())
    return {"unmapped": out, "before_start": int(result.get("skipped_before_start") or 0),
            "start_date": get_settings(ctx).get("pull_start_date"), "at": st.last_run_at if st else None}


def vendor_mapped(ctx: Ctx) -> None:
    """A vendor was (re)mapped: the next pull scans every open bill again, so bills it skipped come in."""
    st = _pull_state(ctx, _connection_id(ctx))
    if st is not None and st.bookmark is not None:
        st.bookmark = None
