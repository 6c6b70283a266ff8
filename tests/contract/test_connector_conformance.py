"""The connector conformance suite: one set of scenarios, every connector + sandbox pair.

Written only against ``AccountingConnector`` and ``ConnectorHarness``; a
platform joins by adding its harness to ``HARNESSES`` in ``conftest.py``.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billpay.connectors import registry
from billpay.sync.ports import ConnectorError, RemoteRef


def push_one(connector, harness, n: int = 1, key: str | None = None, **overrides):
    bill = harness.bill_payload(n, **overrides)
    (result,) = connector.push_bills([(key or f"{bill.bill_id}:create#0", bill)])
    assert result.error is None, result.error
    return bill, result.ref


# -- reference data ---------------------------------------------------------------------------


def test_reference_data_of_every_kind_including_inactive_records(harness, connector):
    inactive = harness.inactive_vendor_id()
    for kind in registry.get(harness.platform).capabilities.reference_kinds:
        items = connector.fetch_reference_data(kind)
        assert isinstance(items, list)
        assert all(item.id and isinstance(item.name, str) for item in items)
    vendors = {item.id: item for item in connector.fetch_reference_data("vendors")}
    assert vendors[harness.vendor_id()].active is True
    assert vendors[inactive].active is False
    accounts = {item.id for item in connector.fetch_reference_data("accounts")}
    assert harness.expense_account_id() in accounts


# -- push -----------------------------------------------------------------------------------------


def test_push_one_bill_and_read_it_back_open(harness, connector):
    bill, ref = push_one(connector, harness)
    remote = connector.read_bill(ref)
    assert remote is not None and remote.external_id == ref.external_id and remote.version == ref.version
    assert remote.vendor_external_id == bill.vendor_external_id
    assert remote.invoice_number == bill.invoice_number and remote.invoice_date == bill.invoice_date
    assert remote.due_date == bill.due_date and remote.currency == "USD"
    assert remote.amount == bill.amount == remote.balance and remote.is_open
    assert sum(line.amount for line in remote.lines) == remote.amount
    assert [line.account_id for line in remote.lines] == [line.account_id for line in bill.lines]
    assert remote.memo == bill.memo


def test_push_many_bills_is_batched(harness, connector):
    connector.fetch_reference_data("terms")  # the sign-in is not part of the count
    items = [(f"bill_{n}:create#0", harness.bill_payload(n)) for n in range(1000)]
    before = harness.bill_count()
    harness.reset_calls()
    results = connector.push_bills(items)
    assert [r.key for r in results] == [key for key, _ in items]
    assert all(r.ref is not None for r in results), [r.error for r in results if r.error][:3]
    assert len({r.ref.external_id for r in results}) == 1000
    assert harness.api_calls() <= harness.max_calls_for_1000_bills
    assert harness.bill_count() == before + 1000


def test_pushing_the_same_key_twice_creates_one_bill(harness, connector):
    before = harness.bill_count()
    _, first = push_one(connector, harness, key="bill_1:create#0")
    _, second = push_one(connector, harness, key="bill_1:create#0")
    assert first.external_id == second.external_id
    assert harness.bill_count() == before + 1


def test_per_item_rejections_do_not_sink_the_batch(harness, connector):
    good = harness.bill_payload(1)
    inactive = harness.bill_payload(2, vendor_id=harness.inactive_vendor_id())
    ok, rejected = connector.push_bills([("a", good), ("b", inactive)])
    assert ok.ref is not None
    assert rejected.error is not None and rejected.error.kind == "rejected"
    assert rejected.error.code == "platform_vendor_inactive"
    assert rejected.error.message.endswith(".") and rejected.error.raw


def test_find_bill_only_finds_what_billpay_created(harness, connector):
    bill = harness.bill_payload(7)
    assert connector.find_bill(f"{bill.bill_id}:create#0", bill) is None
    _, ref = push_one(connector, harness, 7)
    assert connector.find_bill(f"{bill.bill_id}:create#0", bill).external_id == ref.external_id
    assert connector.find_bill("bill_other:create#0", bill) is None


# -- update and void --------------------------------------------------------------------------------


def test_update_after_someone_else_changed_the_bill_is_refused_and_applies_on_the_fresh_version(harness, connector):
    """A bill changed on the platform since billpay wrote it is never overwritten: the connector says so
    (``platform_stale_version``) and the engine merges; an update on the version read now goes through."""
    bill, ref = push_one(connector, harness)
    harness.edit_bill_outside(ref.external_id, "edited in the platform")
    changed = harness.bill_payload(1, memo="recoded by billpay", lines=(
        bill.lines[0], type(bill.lines[1])(bill.lines[1].amount, "Materials (recoded)",
                                           account_id=harness.expense_account_id())))
    with pytest.raises(ConnectorError) as stale:
        connector.update_bill(ref, changed, "bill_1:update#0")  # ref.version is stale now
    assert stale.value.code == "platform_stale_version" and stale.value.kind == "conflict"
    assert connector.read_bill(ref).memo == "edited in the platform"  # nothing overwritten
    fresh = connector.read_bill(ref)
    before = harness.bill_count()
    new_ref = connector.update_bill(RemoteRef(ref.external_id, fresh.version), changed, "bill_1:update#1")
    assert new_ref.version != fresh.version
    if harness.update_keeps_external_id:
        assert new_ref.external_id == ref.external_id
    else:  # the platform cannot change a booked bill: it is replaced and the old one cancelled
        assert new_ref.external_id != ref.external_id and connector.read_bill(ref) is None
    assert harness.bill_count() == before
    remote = connector.read_bill(new_ref)
    assert remote.version == new_ref.version  # the next re-sync sees no change that is not there
    assert remote.memo == "recoded by billpay" and remote.lines[1].description == "Materials (recoded)"
    assert remote.amount == bill.amount


def test_void_deletes_and_voiding_again_is_fine(harness, connector):
    _, ref = push_one(connector, harness)
    connector.void_bill(ref, "bill_1:void#0")
    assert connector.read_bill(ref) is None
    connector.void_bill(ref, "bill_1:void#0")
    connector.void_bill(ref, "bill_1:void#1")


def test_void_of_a_bill_deleted_in_the_platform_is_fine(harness, connector):
    _, ref = push_one(connector, harness)
    harness.delete_bill_outside(ref.external_id)
    connector.void_bill(ref, "bill_1:void#0")


def test_void_of_a_paid_bill_is_refused_in_plain_words(harness, connector):
    _, ref = push_one(connector, harness)
    harness.pay_bill_outside(ref.external_id)
    with pytest.raises(ConnectorError) as caught:
        connector.void_bill(ref, "bill_1:void#0")
    assert caught.value.code == "platform_bill_has_payments" and caught.value.kind == "rejected"
    assert connector.read_bill(ref) is not None


# -- pull --------------------------------------------------------------------------------------------


def test_full_pull_then_incremental_changes_deletes_and_quiet(harness, connector):
    start = harness.today - dt.timedelta(days=10)
    _, old = push_one(connector, harness, 1, invoice_date=start - dt.timedelta(days=1))
    _, kept = push_one(connector, harness, 2, invoice_date=start)
    _, doomed = push_one(connector, harness, 3, invoice_date=harness.today)

    full = connector.pull_bills(None, start)
    ids = {b.external_id for b in full.bills}
    assert full.full and {kept.external_id, doomed.external_id} <= ids and old.external_id not in ids
    assert all(b.invoice_date >= start for b in full.bills)

    harness.advance_clock(600)
    harness.edit_bill_outside(kept.external_id, "changed in the platform")
    harness.delete_bill_outside(doomed.external_id)
    harness.advance_clock(600)  # past the bookmark's safety overlap
    changes = connector.pull_bills(full.bookmark, start)
    assert not changes.full
    assert [b.memo for b in changes.bills if b.external_id == kept.external_id] == ["changed in the platform"]
    assert doomed.external_id in changes.deleted_ids

    harness.advance_clock(600)
    harness.reset_calls()
    quiet = connector.pull_bills(changes.bookmark, start)
    assert quiet.bills == [] and list(quiet.deleted_ids) == [] and not quiet.full
    assert harness.api_calls() <= 2


def test_bookmark_is_frozen_before_the_pull_so_changes_during_it_are_seen(harness, connector):
    start = harness.today - dt.timedelta(days=5)
    _, ref = push_one(connector, harness, 1)
    first = connector.pull_bills(None, start)
    harness.edit_bill_outside(ref.external_id, "edited right after the pull started")
    harness.advance_clock(5)
    second = connector.pull_bills(first.bookmark, start)
    assert ref.external_id in {b.external_id for b in second.bills}


def test_more_changes_than_one_incremental_answer_holds_are_all_seen(harness, connector):
    start = harness.today - dt.timedelta(days=5)
    first = connector.pull_bills(None, start)
    harness.advance_clock(600)
    results = connector.push_bills([(f"bill_{n}:create#0", harness.bill_payload(n)) for n in range(1005)])
    harness.advance_clock(600)
    pulled = connector.pull_bills(first.bookmark, start)
    assert {r.ref.external_id for r in results} <= {b.external_id for b in pulled.bills}


def test_update_of_a_bill_deleted_in_the_platform_says_so(harness, connector):
    bill, ref = push_one(connector, harness)
    harness.delete_bill_outside(ref.external_id)
    with pytest.raises(ConnectorError) as caught:
        connector.update_bill(ref, bill, "bill_1:update#0")
    assert caught.value.kind == "not_found"


def test_paid_elsewhere_shows_up_closed_in_the_pull(harness, connector):
    start = harness.today - dt.timedelta(days=5)
    _, ref = push_one(connector, harness, 1)
    full = connector.pull_bills(None, start)
    harness.advance_clock(600)
    harness.pay_bill_outside(ref.external_id)
    changes = connector.pull_bills(full.bookmark, start)
    (bill,) = [b for b in changes.bills if b.external_id == ref.external_id]
    assert bill.balance == 0 and not bill.is_open


# -- payments ----------------------------------------------------------------------------------------


def test_payment_links_the_bill_and_closes_it(harness, connector):
    bill, ref = push_one(connector, harness)
    payment = harness.payment_payload(1, bill, ref)
    (result,) = connector.push_bill_payments([("pay_1:create#0", payment)])
    assert result.error is None, result.error
    remote = connector.read_bill(ref)
    assert remote.balance == 0 and not remote.is_open
    assert connector.find_bill_payment(f"{payment.payment_id}:create#0", payment).external_id == result.ref.external_id
    (again,) = connector.push_bill_payments([("pay_1:create#0", payment)])
    assert again.ref.external_id == result.ref.external_id  # never paid twice


def test_reversing_a_payment_reopens_the_bill_and_a_second_reversal_is_a_no_op(harness, connector):
    if not hasattr(connector, "void_bill_payment"):
        pytest.skip(f"{harness.platform}: reversing a bill payment is not built yet (the engine reports it in words)")
    bill, ref = push_one(connector, harness)
    payment = harness.payment_payload(1, bill, ref)
    (paid,) = connector.push_bill_payments([("pay_1:create#0", payment)])
    assert connector.read_bill(ref).balance == 0
    connector.void_bill_payment(paid.ref, "pay_1:reverse#0")  # the bank returned the money
    assert connector.read_bill(ref).balance == bill.amount and connector.read_bill(ref).is_open
    connector.void_bill_payment(paid.ref, "pay_1:reverse#0")  # retried after a lost answer: nothing more
    assert connector.read_bill(ref).balance == bill.amount


def test_payment_for_a_bill_paid_elsewhere_is_stopped(harness, connector):
    bill, ref = push_one(connector, harness)
    harness.pay_bill_outside(ref.external_id)
    (result,) = connector.push_bill_payments([("pay_1:create#0", harness.payment_payload(1, bill, ref))])
    assert result.error is not None and result.error.code == "platform_bill_already_paid"


# -- failures ---------------------------------------------------------------------------------------


def test_timeout_after_commit_never_duplicates(harness):
    connector = harness.connector(max_retries=0)
    bill = harness.bill_payload(1)
    before = harness.bill_count()
    harness.inject("timeout_after_commit")
    (lost,) = connector.push_bills([("bill_1:create#0", bill)])
    assert lost.ref is None and lost.error.outcome_unknown and lost.error.retryable
    found = connector.find_bill(f"{bill.bill_id}:create#0", bill)
    assert found is not None
    (retried,) = connector.push_bills([("bill_1:create#0", bill)])
    assert retried.ref.external_id == found.external_id
    assert harness.bill_count() == before + 1


def test_timeout_after_commit_is_recovered_inside_one_push(harness, connector):
    before = harness.bill_count()
    harness.inject("timeout_after_commit")
    _, ref = push_one(connector, harness)
    assert harness.bill_count() == before + 1
    assert connector.read_bill(ref) is not None


def test_rate_limit_storm_is_ridden_out_with_backoff(harness, connector):
    harness.inject("rate_limited", count=3)
    _, ref = push_one(connector, harness)
    assert ref is not None
    # the backoff went through the harness's sleeper (which only records), not the clock
    assert len(harness.sleeps) == 3 and all(s > 0 for s in harness.sleeps)


def test_rate_limit_that_does_not_end_is_reported_as_transient(harness):
    connector = harness.connector(max_retries=2)
    harness.inject("rate_limited", count=10)
    (result,) = connector.push_bills([("k", harness.bill_payload(1))])
    assert result.error.code == "platform_rate_limited" and result.error.kind == "transient"


def test_server_errors_are_retried(harness, connector):
    connector.fetch_reference_data("terms")
    harness.inject("server_error", count=2)
    assert connector.read_bill(push_one(connector, harness)[1]) is not None
    assert len(harness.sleeps) == 2


def test_expired_access_token_mid_sync_is_refreshed_and_rotation_saved(harness, connector):
    start = harness.today - dt.timedelta(days=5)
    first = connector.pull_bills(None, start)
    refresh_before = harness.stored_refresh_token()
    harness.expire_access_tokens()
    harness.advance_clock(60)
    again = connector.pull_bills(first.bookmark, start)
    assert again is not None
    assert harness.stored_refresh_token() != refresh_before


def test_revoked_connection_asks_an_admin_to_reconnect_without_leaking_tokens(harness, connector):
    connector.fetch_reference_data("terms")
    refresh_token = harness.stored_refresh_token()
    harness.revoke_connection()
    with pytest.raises(ConnectorError) as caught:
        connector.fetch_reference_data("vendors")
    error = caught.value
    assert error.code == "platform_auth_revoked" and error.kind == "auth" and "reconnect" in error.message
    assert refresh_token not in f"{error} {error.raw!r}"


def test_amounts_stay_exact(harness, connector):
    _, ref = push_one(connector, harness, amount="1234567.89")
    remote = connector.read_bill(ref)
    assert remote.amount == Decimal("1234567.89") and isinstance(remote.amount, Decimal)
    assert all(isinstance(line.amount, Decimal) for line in remote.lines)
    assert isinstance(ref, RemoteRef)
