"""The pull stopping a payment and the 4 AM release, at once, on real PostgreSQL: never both.

The release has read the bill fresh from the platform (open); a second later a controller pays it there, and the
pull that notices it runs while the release is sending the payment. Either the pull stops the payment and the
release does not send it, or the release sends it and the pull does not claim to have stopped it. Each test
holds one side inside its transaction at the moment that used to let the other slip through (a hook on the
database driver, the process edge), then lets it go.
"""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import event, select

from billpay.db import tables as t
from billpay.payments.calendar import next_business_day
from billpay.services import payments
from billpay.services.context import Actor
from billpay.sync import pull

from .conftest import mapped_vendor, open_bill


class Pause:
    """Hold the thread named ``thread`` when it is about to run a statement matching ``pattern`` (once), until
    ``go`` is set or ``timeout`` seconds pass."""

    def __init__(self, engine, thread: str, pattern: str, timeout: float = 4.0) -> None:
        self.engine, self.thread, self.timeout = engine, thread, timeout
        self.pattern = re.compile(pattern, re.S | re.I)
        self.reached, self.go = threading.Event(), threading.Event()
        event.listen(engine, "before_cursor_execute", self._hook)

    def _hook(self, conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001
        if threading.current_thread().name == self.thread and not self.reached.is_set() \
                and self.pattern.search(statement):
            self.reached.set()
            self.go.wait(self.timeout)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._hook)


def _release(container, org_id: str) -> None:
    """The 4 AM release after its fresh read of the bill (which found it open)."""
    with container.tx(Actor.system(org_id)) as ctx:
        payments.release_due(ctx, hold=set())


def _scheduled_bill_paid_elsewhere(stack, container) -> tuple[dict, dict]:
    if container.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL's row locks")
    vendor = mapped_vendor(stack)
    bill = open_bill(stack, vendor, "RACE-1", "250.00")
    stack.work()
    ext = stack.org.get(f"/bills/{bill['id']}").json()["sync"]["external_id"]
    pay = stack.org.get("/payments", params={"bill_id": bill["id"]}).json()["data"][0]
    day = next_business_day(stack.platform.state.now().date() + dt.timedelta(days=3))
    assert stack.org.post(f"/payments/{pay['id']}/schedule", {"pay_date": day.isoformat(),
                                                               "method": "ach"}).json()["status"] == "scheduled"
    container.now = lambda: dt.datetime(day.year, day.month, day.day, 9, 1, tzinfo=dt.timezone.utc)  # 4:01 AM NY
    stack.platform.pay_elsewhere(ext)  # paid in the platform right after the release's fresh read
    return bill, pay


def _outcome(container, bill_id: str, pay_id: str) -> tuple[str, bool]:
    """(payment status, whether the pull claimed the bill paid elsewhere and stopped billpay's payment)."""
    with container.sessionmaker() as s:
        status = s.get(t.Payment, pay_id).status
        claimed = s.scalars(select(t.AuditEvent).where(t.AuditEvent.record_id == bill_id,
                                                       t.AuditEvent.action == "bill.paid_elsewhere")).first()
    sent = status in ("processing", "settled")
    assert not (sent and claimed), "the payment was sent and the pull said it stopped it: both"
    return status, claimed is not None


def _run(first: threading.Thread, pause: Pause, second: threading.Thread) -> None:
    first.start()
    assert pause.reached.wait(60), "the first side never reached the held statement"
    second.start()
    second.join(2.0)  # the second side either finishes now (it slipped through) or waits on the first's locks
    pause.go.set()
    first.join(60)
    second.join(60)
    pause.close()
    assert not first.is_alive() and not second.is_alive()


def test_the_pull_first_stops_the_payment_and_the_release_does_not_send_it(stack, container):
    bill, pay = _scheduled_bill_paid_elsewhere(stack, container)
    pause = Pause(container.engine, "pull", r"FROM payments\b.*FOR UPDATE")  # about to stop the bill's payments
    puller = threading.Thread(name="pull", target=pull.pull_bills, args=(container, stack.org.id))
    releaser = threading.Thread(name="release", target=_release, args=(container, stack.org.id))
    _run(puller, pause, releaser)
    status, claimed = _outcome(container, bill["id"], pay["id"])
    assert status == "cancelled" and claimed


def test_the_release_first_sends_the_payment_and_the_pull_does_not_claim_to_stop_it(stack, container):
    bill, pay = _scheduled_bill_paid_elsewhere(stack, container)
    pause = Pause(container.engine, "release", r"^\s*UPDATE payments SET")  # about to mark it processing
    releaser = threading.Thread(name="release", target=_release, args=(container, stack.org.id))
    puller = threading.Thread(name="pull", target=pull.pull_bills, args=(container, stack.org.id))
    _run(releaser, pause, puller)
    status, claimed = _outcome(container, bill["id"], pay["id"])
    assert status == "processing" and not claimed
