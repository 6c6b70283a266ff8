"""Edits made on the platform to a bill billpay pushed are not silently overwritten by a re-sync: billpay owns the
bill's coding (G/L accounts and dimensions), the platform keeps what a person changed there, and what cannot be
merged is a conflict reported in words."""
from __future__ import annotations

import datetime as dt

import pytest

from billpay.sync.ports import RemoteRef

from .conftest import expense_account, mapped_vendor, open_bill


@pytest.fixture(autouse=True)
def _merging_platform(stack):
    if not stack.platform.merges_platform_edits:
        pytest.skip(f"{stack.platform.name}: the merge of platform edits on re-sync is not enrolled yet")


def _bill(stack, bill_id):
    return stack.org.get(f"/bills/{bill_id}").json()


def _recode(stack, bill: dict) -> str:
    klass = [c for c in stack.ref("classes") if c["active"]][0]["id"]
    r = stack.org.patch(f"/bills/{bill['id']}", {"attributes": {"gl_account": expense_account(stack), "class": klass}})
    assert r.status_code == 200, r.text
    return klass


def test_a_resync_keeps_the_platforms_edits_and_applies_billpays_coding(stack):
    vendor = mapped_vendor(stack)
    bill = open_bill(stack, vendor, "EDIT-1", "150.00")
    stack.work()
    ext = _bill(stack, bill["id"])["sync"]["external_id"]
    later = dt.date.fromisoformat(_bill(stack, bill["id"])["due_date"]) + dt.timedelta(days=10)
    stack.platform.edit_bill(ext, due_date=later, memo="Agreed with the vendor by phone")  # a person, there
    klass = _recode(stack, bill)
    stack.work()
    remote = stack.connector().read_bill(RemoteRef(ext))
    assert remote.due_date == later and remote.memo == "Agreed with the vendor by phone"  # kept
    assert [ln.dimensions.get("class") for ln in remote.lines] == [klass]  # billpay's coding applied
    b = _bill(stack, bill["id"])
    assert b["sync"]["status"] == "synced", b["sync"]
    assert b["due_date"] == later.isoformat()  # the platform's edit is brought into billpay
    last = stack.org.get(f"/bills/{bill['id']}/sync-history").json()["data"][0]
    assert last["operation"] == "update" and set(last["response"]["kept_from_platform"]) >= {"due_date", "memo"}
    # the next re-sync does not undo the platform's edit either
    stack.org.patch(f"/bills/{bill['id']}", {"attributes": {"gl_account": expense_account(stack)}})
    stack.work()
    remote = stack.connector().read_bill(RemoteRef(ext))
    assert remote.due_date == later and remote.memo == "Agreed with the vendor by phone"


def test_lines_changed_on_the_platform_are_a_conflict_in_words_and_stay_as_edited(stack):
    vendor = mapped_vendor(stack)
    bill = open_bill(stack, vendor, "EDIT-2", "150.00")
    stack.work()
    ext = _bill(stack, bill["id"])["sync"]["external_id"]
    stack.platform.split_line(ext)  # a person splits the expense line in two
    _recode(stack, bill)
    stack.work()
    b = _bill(stack, bill["id"])
    assert b["sync"]["status"] == "error", b["sync"]
    error = b["sync"]["error"]
    assert error["code"] == "platform_conflict"
    assert "2 lines" in error["message"] and "1 line" in error["message"]
    remote = stack.connector().read_bill(RemoteRef(ext))
    assert len(remote.lines) == 2 and not any(ln.dimensions.get("class") for ln in remote.lines)  # not overwritten
    group = next(g for g in stack.org.get("/accounting/dashboard").json()["errors"] if g["code"] == "platform_conflict")
    assert group["fix"]
