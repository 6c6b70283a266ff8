"""The daily pull is due at 12 AM America/New_York, daylight saving included, and catches up."""
from __future__ import annotations

import datetime as dt

from billpay.sync.schedule import last_pull_due, pull_is_due

UTC = dt.timezone.utc


def test_midnight_new_york_in_winter_and_summer():
    # winter (EST, UTC-5): midnight is 05:00 UTC
    assert last_pull_due(dt.datetime(2026, 1, 15, 12, tzinfo=UTC)) == dt.datetime(2026, 1, 15, 5, tzinfo=UTC)
    # summer (EDT, UTC-4): midnight is 04:00 UTC
    assert last_pull_due(dt.datetime(2026, 7, 15, 12, tzinfo=UTC)) == dt.datetime(2026, 7, 15, 4, tzinfo=UTC)
    # 03:30 UTC in July is still the previous New York day
    assert last_pull_due(dt.datetime(2026, 7, 15, 3, 30, tzinfo=UTC)) == dt.datetime(2026, 7, 14, 4, tzinfo=UTC)


def test_across_the_spring_forward_change():
    # DST starts 2026-03-08 at 2 AM local. Midnight of the 8th is still EST (05:00 UTC);
    # midnight of the 9th is EDT (04:00 UTC): the day in between is 23 hours long.
    first = last_pull_due(dt.datetime(2026, 3, 8, 12, tzinfo=UTC))
    second = last_pull_due(dt.datetime(2026, 3, 9, 12, tzinfo=UTC))
    assert first == dt.datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert second == dt.datetime(2026, 3, 9, 4, tzinfo=UTC)
    assert second - first == dt.timedelta(hours=23)


def test_across_the_fall_back_change():
    first = last_pull_due(dt.datetime(2026, 11, 1, 12, tzinfo=UTC))
    second = last_pull_due(dt.datetime(2026, 11, 2, 12, tzinfo=UTC))
    assert second - first == dt.timedelta(hours=25)


def test_due_once_per_day_and_catches_up():
    ran = dt.datetime(2026, 3, 8, 5, 0, 30, tzinfo=UTC)  # just after midnight New York
    # a controllable clock stepping a minute at a time over two days: due exactly once per local day
    clock, runs = ran, [ran]
    while clock < dt.datetime(2026, 3, 10, 12, tzinfo=UTC):
        clock += dt.timedelta(minutes=1)
        if pull_is_due(runs[-1], clock):
            runs.append(clock)
    assert runs[1:] == [dt.datetime(2026, 3, 9, 4, 0, 30, tzinfo=UTC), dt.datetime(2026, 3, 10, 4, 0, 30, tzinfo=UTC)]
    # a server down for three days runs once at start, not three times
    assert pull_is_due(ran, dt.datetime(2026, 3, 12, 15, tzinfo=UTC))
    assert not pull_is_due(dt.datetime(2026, 3, 12, 15, tzinfo=UTC), dt.datetime(2026, 3, 12, 23, tzinfo=UTC))
    assert pull_is_due(None, ran)
