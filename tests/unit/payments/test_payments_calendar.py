from datetime import UTC, date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billpay.payments.calendar import (
    add_business_days,
    approval_deadline,
    business_days_between,
    holiday_name,
    is_business_day,
    next_business_day,
    previous_business_day,
    release_at,
    roll_forward,
    validate_pay_date,
)
from billpay.payments.errors import PaymentRuleError

D = date


@pytest.mark.parametrize(
    ("day", "business", "why"),
    [
        (D(2026, 1, 1), False, "New Year's Day (Thursday)"),
        (D(2026, 1, 2), True, "Friday after New Year"),
        (D(2026, 1, 19), False, "Martin Luther King Jr. Day"),
        (D(2026, 2, 16), False, "Washington's Birthday"),
        (D(2026, 4, 3), True, "Good Friday: the Fed is open (the NYSE is not)"),
        (D(2026, 5, 25), False, "Memorial Day"),
        (D(2026, 6, 19), False, "Juneteenth (Friday)"),
        (D(2026, 7, 3), True, "July 4 2026 is a Saturday: the Fed is open the Friday before"),
        (D(2026, 7, 4), False, "Saturday (Independence Day)"),
        (D(2026, 7, 6), True, "no observed Monday for a Saturday holiday"),
        (D(2026, 9, 7), False, "Labor Day"),
        (D(2026, 10, 12), False, "Columbus Day"),
        (D(2026, 11, 11), False, "Veterans Day (Wednesday)"),
        (D(2026, 11, 26), False, "Thanksgiving"),
        (D(2026, 11, 27), True, "day after Thanksgiving is a banking day"),
        (D(2026, 12, 24), True, "Christmas Eve"),
        (D(2026, 12, 25), False, "Christmas (Friday)"),
        (D(2027, 1, 1), False, "New Year's Day 2027 (Friday)"),
        (D(2027, 6, 18), True, "Juneteenth 2027 is a Saturday: Friday open"),
        (D(2027, 7, 5), False, "July 4 2027 is a Sunday: observed Monday"),
        (D(2027, 11, 25), False, "Thanksgiving 2027"),
        (D(2027, 12, 24), True, "Christmas 2027 is a Saturday: Friday open"),
        (D(2027, 12, 31), True, "New Year 2028 is a Saturday: Friday Dec 31 open"),
        (D(2026, 3, 7), False, "Saturday"),
        (D(2026, 3, 8), False, "Sunday"),
        (D(2026, 3, 9), True, "Monday"),
    ],
)
def test_business_days_follow_the_federal_reserve(day, business, why):
    assert is_business_day(day) is business, why


def test_holiday_names_are_reported():
    assert holiday_name(D(2026, 11, 26)) == "Thanksgiving Day"
    assert holiday_name(D(2027, 7, 5)) == "Independence Day (observed)"
    assert holiday_name(D(2026, 7, 3)) is None


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 7, 2), D(2026, 7, 3)),
        (D(2026, 7, 3), D(2026, 7, 6)),
        (D(2026, 11, 25), D(2026, 11, 27)),
        (D(2026, 12, 24), D(2026, 12, 28)),
        (D(2027, 12, 31), D(2028, 1, 3)),
        (D(2025, 12, 31), D(2026, 1, 2)),
    ],
)
def test_next_business_day_is_strict(day, expected):
    assert next_business_day(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 7, 6), D(2026, 7, 3)),
        (D(2026, 1, 2), D(2025, 12, 31)),
        (D(2026, 11, 27), D(2026, 11, 25)),
        (D(2026, 1, 20), D(2026, 1, 16)),
    ],
)
def test_previous_business_day_is_strict(day, expected):
    assert previous_business_day(day) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 12, 23), 2, D(2026, 12, 28)),
        (D(2026, 7, 2), 2, D(2026, 7, 6)),
        (D(2026, 7, 6), -1, D(2026, 7, 3)),
        (D(2026, 7, 4), 0, D(2026, 7, 4)),
        (D(2026, 7, 4), 1, D(2026, 7, 6)),
        (D(2026, 11, 24), 3, D(2026, 11, 30)),
    ],
)
def test_add_business_days(start, n, expected):
    assert add_business_days(start, n) == expected


def test_business_days_between_counts_days_stepped_onto():
    assert business_days_between(D(2026, 12, 23), D(2026, 12, 28)) == 2
    assert business_days_between(D(2026, 12, 28), D(2026, 12, 23)) == -2  # 23rd and 24th
    assert business_days_between(D(2026, 7, 4), D(2026, 7, 2)) == -2  # 2nd and 3rd
    assert business_days_between(D(2026, 7, 3), D(2026, 7, 3)) == 0
    assert business_days_between(D(2026, 7, 3), D(2026, 7, 5)) == 0


def test_roll_forward():
    assert roll_forward(D(2026, 7, 3)) == D(2026, 7, 3)
    assert roll_forward(D(2026, 7, 4)) == D(2026, 7, 6)


days = st.dates(min_value=D(2025, 1, 1), max_value=D(2028, 12, 31))


@settings(max_examples=300, deadline=None)
@given(days, days)
def test_between_inverts_add_for_business_days(a, b):
    b = roll_forward(b)
    assert add_business_days(a, business_days_between(a, b)) == b


@settings(max_examples=300, deadline=None)
@given(days, st.integers(min_value=-30, max_value=30))
def test_add_then_subtract_returns_to_a_business_day(d, n):
    d = roll_forward(d)
    moved = add_business_days(d, n)
    assert is_business_day(moved)
    assert add_business_days(moved, -n) == d
    assert business_days_between(d, moved) == n


@pytest.mark.parametrize(
    ("pay_date", "deadline"),
    [
        (D(2026, 7, 6), D(2026, 7, 3)),
        (D(2026, 11, 27), D(2026, 11, 25)),
        (D(2026, 1, 5), D(2026, 1, 2)),
        (D(2026, 12, 28), D(2026, 12, 24)),
    ],
)
def test_approval_is_due_the_business_day_before(pay_date, deadline):
    assert approval_deadline(pay_date) == deadline


@pytest.mark.parametrize(
    ("pay_date", "utc_hour", "offset_hours"),
    [
        (D(2026, 3, 6), 9, -5),  # EST, Friday before the March change
        (D(2026, 3, 8), 8, -4),  # the change day: 4 AM is already EDT
        (D(2026, 3, 9), 8, -4),  # EDT
        (D(2026, 10, 30), 8, -4),  # EDT, Friday before the November change
        (D(2026, 11, 1), 9, -5),  # the change day: 4 AM is already EST
        (D(2026, 11, 2), 9, -5),  # EST
    ],
)
def test_release_at_is_4am_new_york_across_dst(pay_date, utc_hour, offset_hours):
    moment = release_at(pay_date)
    assert (moment.hour, moment.minute) == (4, 0)
    assert moment.utcoffset() == timedelta(hours=offset_hours)
    in_utc = moment.astimezone(UTC)
    assert (in_utc.date(), in_utc.hour) == (pay_date, utc_hour)


def test_release_at_other_zone_and_hour():
    moment = release_at(D(2026, 7, 6), tz="Europe/Berlin", hour=6)
    assert moment.astimezone(UTC).hour == 4
    with pytest.raises(ValueError):
        release_at(D(2026, 7, 6), hour=24)


def test_validate_pay_date_accepts_today_and_future_business_days():
    validate_pay_date(D(2026, 7, 1), today=D(2026, 7, 1))
    validate_pay_date(D(2026, 7, 3), today=D(2026, 7, 1))


def test_validate_pay_date_suggests_the_next_business_day():
    with pytest.raises(PaymentRuleError) as err:
        validate_pay_date(D(2026, 7, 4), today=D(2026, 7, 1))
    assert err.value.code == "pay_date_not_business_day"
    assert err.value.data["next_business_day"] == "2026-07-06"
    assert "2026-07-06" in err.value.detail and "Independence Day" in err.value.detail

    with pytest.raises(PaymentRuleError) as err:
        validate_pay_date(D(2026, 11, 26), today=D(2026, 11, 1))
    assert err.value.data["next_business_day"] == "2026-11-27"


def test_validate_pay_date_refuses_the_past_first():
    with pytest.raises(PaymentRuleError) as err:
        validate_pay_date(D(2026, 6, 30), today=D(2026, 7, 1))
    assert err.value.code == "pay_date_in_past"
    with pytest.raises(PaymentRuleError) as err:
        validate_pay_date(D(2026, 6, 27), today=D(2026, 7, 1))  # a past Saturday
    assert err.value.code == "pay_date_in_past"
