"""The pay date billpay suggests for a draft: the due date's business day, earlier when approval is needed."""
from __future__ import annotations

from datetime import date

from billpay.payments.calendar import suggested_pay_date


def test_suggested_pay_date_is_the_due_date_or_the_business_day_before_it():
    today = date(2026, 11, 16)  # Monday
    assert suggested_pay_date(date(2026, 12, 2), today) == date(2026, 12, 2)  # a Wednesday: as is
    assert suggested_pay_date(date(2026, 12, 6), today) == date(2026, 12, 4)  # Sunday -> Friday
    assert suggested_pay_date(date(2026, 11, 26), today) == date(2026, 11, 25)  # Thanksgiving -> Wednesday
    assert suggested_pay_date(None, today) == today


def test_with_approval_the_suggestion_leaves_approvers_time_and_never_lies_in_the_past():
    today = date(2026, 11, 16)
    assert suggested_pay_date(date(2026, 12, 2), today, needs_approval=True) == date(2026, 11, 30)
    # overdue: the first date that can still be approved in time (approval due the business day before)
    assert suggested_pay_date(date(2026, 11, 2), today, needs_approval=True) == date(2026, 11, 17)
    assert suggested_pay_date(date(2026, 11, 2), today) == today
    # a Saturday "today": the first business day is Monday, approvals need one more
    assert suggested_pay_date(None, date(2026, 11, 21), needs_approval=True) == date(2026, 11, 24)
