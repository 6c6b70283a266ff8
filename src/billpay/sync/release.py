"""Never pay twice: before a payment goes to the rail, its bill is read fresh from the platform.

A bill paid, partly paid, credited or deleted there since the last pull stops the payment (or holds it for a
person to correct the amount) with the reason shown; a bill that cannot be read right now keeps its payment
for the next tick. The writes are the pull's use cases (``services.pulled_bills``), on locked payment rows.
"""
from __future__ import annotations

import logging
from typing import Any

from ..db import tables as t
from ..services import payments as payment_services
from ..services import pulled_bills
from ..services import sync_records as records
from ..services.context import Actor
from .connections import connector_for
from .ports import ConnectorError, RemoteBill, RemoteRef

log = logging.getLogger("billpay.sync.release")


def check_due_payments(container: Any, org_id: str) -> set[str]:
    """Read the bills of payments due for release fresh; returns the payments to hold back this time."""
    with container.tx(Actor.system(org_id)) as ctx:
        conn = records.active_connection(ctx.session, org_id)
        if conn is None:
            return set()
        due: list[tuple[str, str, str]] = []  # payment, bill, external id
        for p in payment_services.due_for_release(ctx):
            bill = ctx.session.get(t.Bill, p.bill_id)
            if bill.source == "accounting":
                ext = bill.external_id if bill.connection_id == conn.id else None
            else:
                rec = records.get(ctx, conn.id, "bill", bill.id)
                ext = rec.external_id if rec is not None else None
            if ext:
                due.append((p.id, bill.id, ext))
        ctx.session.expunge(conn)
    if not due:
        return set()
    connector = connector_for(container, conn)
    fresh: dict[str, RemoteBill | None] = {}
    hold: set[str] = set()
    for pid, _bill_id, ext in due:
        if ext in fresh:
            continue
        try:
            fresh[ext] = connector.read_bill(RemoteRef(ext))
        except ConnectorError as e:
            if e.kind == "not_found":
                fresh[ext] = None
            else:
                log.warning("could not read bill %s before release (%s); holding its payment", ext, e.code)
                hold.add(pid)
    with container.tx(Actor.system(org_id)) as ctx:
        for pid, bill_id, ext in due:
            if ext not in fresh:
                continue
            bill = ctx.get(t.Bill, bill_id, lock=True)
            remote = fresh[ext]
            if remote is None or remote.deleted:
                pulled_bills.stop_unsent(ctx, bill, "Stopped before sending: the bill was deleted in the accounting "
                                         "platform, so billpay did not pay it.")
            else:
                pulled_bills.apply_open_amount(ctx, bill, remote.balance, pulled=bill.source == "accounting")
    return hold
