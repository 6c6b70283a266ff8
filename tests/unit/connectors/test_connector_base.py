"""Reusable connector pieces: JSON codec, resolution tables, retry policy, paginators, keys."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.connectors.base import codec
from billpay.connectors.base.errors import (
    RATE_LIMITED,
    VALIDATION,
    Resolution,
    ResolutionTable,
    Rule,
    redact,
    resolve_status,
    scrub,
)
from billpay.connectors.base.idempotency import idempotency_key, request_id
from billpay.connectors.base.pagination import (
    CursorPaginator,
    OffsetPaginator,
    Page,
    PaginationLoopError,
    PaginationStats,
    paginate,
)
from billpay.connectors.base.retry import RetryPolicy, parse_retry_after
from billpay.sync.ports import ConnectorError

# -- codec ---------------------------------------------------------------------------


def test_decimal_is_written_exactly_and_read_back_as_decimal():
    text = codec.dumps({"Amount": Decimal("200.10"), "Qty": 3, "Tiny": Decimal("1E-7"), "Name": "Café \"A\""})
    assert text == '{"Amount":200.10,"Qty":3,"Tiny":0.0000001,"Name":"Café \\"A\\""}'
    back = codec.loads(text)
    assert back["Amount"] == Decimal("200.10") and isinstance(back["Amount"], Decimal)
    assert back["Tiny"] == Decimal("0.0000001")


def test_floats_are_refused_in_payloads():
    with pytest.raises(TypeError, match="Decimal"):
        codec.dumps({"Amount": 1.1})


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**12, max_value=10**12))
def test_money_round_trips_through_json(amount):
    assert codec.loads(codec.dumps({"a": amount}))["a"] == amount


# -- resolution tables and secrets ------------------------------------------------------


def test_patterned_rules_win_over_the_catch_all_for_the_same_code():
    closed = Resolution("closed", "closed", "rejected")
    generic = Resolution("generic", "generic", "rejected")
    table = ResolutionTable([Rule("6000", generic), Rule("6000", closed, re.compile("period"))])
    assert table.lookup("6000", "the period is closed") is closed
    assert table.lookup("6000", "something else") is generic
    assert table.lookup("1") is None


def test_status_fallbacks():
    assert resolve_status(429) is RATE_LIMITED
    assert resolve_status(418) is VALIDATION
    assert resolve_status(599).kind == "transient"


def test_resolution_message_names_the_platform_and_fills_details():
    error = VALIDATION.error(platform="QuickBooks Online", detail="Amount is required")
    assert error.message == "QuickBooks Online rejected the record: Amount is required."
    assert error.code == "platform_validation" and error.kind == "rejected"


def test_redact_removes_known_secrets_and_token_fragments():
    text = "Token expired: AB01730024136mqEofYN9fldzIcxH6lsAcqOYIbafE5z6ZdjPc; Bearer eyJhbGciOi.x.y; s3cr3t-value"
    cleaned = redact(text, ["s3cr3t-value"])
    assert "AB0173" not in cleaned and "eyJ" not in cleaned and "s3cr3t" not in cleaned
    nested = scrub({"Fault": {"Error": [{"Detail": "refresh_token=abcdefghijkl"}]}})
    assert "abcdefghijkl" not in str(nested)


# -- retry policy ------------------------------------------------------------------------


def transient(**kwargs) -> ConnectorError:
    return ConnectorError("platform_unavailable", "down", kind="transient", **kwargs)


def test_backoff_grows_exponentially_with_bounded_jitter():
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0, random=lambda: 1.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    low = RetryPolicy(base_delay=1.0, random=lambda: 0.0)
    assert low.delay(3) == 2.0  # half of the 4 s ceiling: never zero


def test_retry_after_wins_and_is_capped():
    policy = RetryPolicy(max_retry_after=30.0)
    assert policy.delay(1, retry_after=7) == 7
    assert policy.delay(1, retry_after=3600) == 30.0


def test_run_retries_transient_errors_until_success_without_real_sleep():
    sleeps: list[float] = []
    outcomes = [transient(retry_after=3), transient(), "ok"]

    def call():
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    policy = RetryPolicy(sleep=sleeps.append, random=lambda: 0.0, base_delay=1.0)
    assert policy.run(call) == "ok"
    assert sleeps == [3, 1.0]


def test_run_gives_up_after_max_attempts_and_reraises_the_last_error():
    calls = []

    def call():
        calls.append(1)
        raise transient()

    with pytest.raises(ConnectorError):
        RetryPolicy(max_attempts=3, sleep=lambda s: None).run(call)
    assert len(calls) == 3


def test_unknown_outcome_is_retried_only_when_replay_safe():
    def call():
        raise transient(outcome_unknown=True)

    calls = []
    with pytest.raises(ConnectorError):
        RetryPolicy(sleep=lambda s: None).run(lambda: calls.append(1) or call())
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(ConnectorError):
        RetryPolicy(max_attempts=3, sleep=lambda s: None).run(lambda: calls.append(1) or call(), replay_safe=True)
    assert len(calls) == 3


def test_rejections_are_not_retried():
    calls = []

    def call():
        calls.append(1)
        raise ConnectorError("platform_validation", "no", kind="rejected")

    with pytest.raises(ConnectorError):
        RetryPolicy(sleep=lambda s: None).run(call)
    assert calls == [1]


def test_parse_retry_after_accepts_seconds_and_http_dates():
    now = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# -- paginators ---------------------------------------------------------------------------


def test_offset_paginator_stops_on_a_short_page():
    pages = {1: list(range(3)), 4: list(range(3)), 7: [99]}
    starts = []

    def fetch(start):
        starts.append(start)
        return Page(items=pages[start])

    assert list(paginate(fetch, OffsetPaginator(page_size=3))) == [0, 1, 2, 0, 1, 2, 99]
    assert starts == [1, 4, 7]


def test_offset_paginator_stops_on_an_empty_page_and_records_the_first_body():
    stats = PaginationStats()
    pages = {1: Page(items=[1, 2], body="first"), 3: Page(items=[], body="second")}
    assert list(paginate(pages.__getitem__, OffsetPaginator(page_size=2), stats=stats)) == [1, 2]
    assert stats.pages == 2 and stats.first_body == "first"


def test_cursor_paginator_detects_loops():
    answers = iter([Page(items=[1], next_token="a"), Page(items=[2], next_token="b"),
                    Page(items=[3], next_token="a")])
    with pytest.raises(PaginationLoopError):
        list(paginate(lambda token: next(answers), CursorPaginator()))


def test_cursor_paginator_ends_without_a_token():
    answers = iter([Page(items=[1], next_token="a"), Page(items=[2])])
    assert list(paginate(lambda token: next(answers), CursorPaginator())) == [1, 2]


# -- idempotency ------------------------------------------------------------------------


def test_request_ids_are_deterministic_short_and_generation_sensitive():
    first = request_id(idempotency_key("bill_1", "create", 0))
    assert first == request_id("bill_1:create#0")
    assert len(first) == 36
    assert first != request_id(idempotency_key("bill_1", "create", 1))
    assert request_id("k", "update", "1") != request_id("k", "update", "2")
