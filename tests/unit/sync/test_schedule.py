"""Daily pulls are spread over 00:00-01:00 America/New_York, one stable slot per connection, daylight saving
included, and a missed slot catches up once. Every instant is fixed; nothing reads the wall clock."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from billpay.sync.schedule import last_pull_due, last_pull_slot, next_pull_at, pull_is_due, pull_offset, pull_slot

UTC = dt.timezone.utc
NY = ZoneInfo("America/New_York")
IDS = [f"con_{i:05d}" for i in range(2000)]


def test_window_start_is_midnight_new_york_in_winter_and_summer():
    assert last_pull_due(dt.datetime(2026, 1, 15, 12, tzinfo=UTC)) == dt.datetime(2026, 1, 15, 5, tzinfo=UTC)
    assert last_pull_due(dt.datetime(2026, 7, 15, 12, tzinfo=UTC)) == dt.datetime(2026, 7, 15, 4, tzinfo=UTC)
    # 03:30 UTC in July is still the previous New York day
    assert last_pull_due(dt.datetime(2026, 7, 15, 3, 30, tzinfo=UTC)) == dt.datetime(2026, 7, 14, 4, tzinfo=UTC)


def test_offsets_are_stable_inside_the_hour_and_spread_over_it():
    offsets = [pull_offset(i) for i in IDS]
    assert offsets == [pull_offset(i) for i in IDS]  # stable: the same connection, the same slot
    assert all(dt.timedelta(0) <= o < dt.timedelta(hours=1) for o in offsets)
    minutes = {int(o.total_seconds() // 60) for o in offsets}
    assert len(minutes) == 60  # every minute of the hour is used
    spread = max(offsets) - min(offsets)
    assert spread >= dt.timedelta(minutes=45)
    per_minute = [sum(1 for o in offsets if int(o.total_seconds() // 60) == m) for m in range(60)]
    assert max(per_minute) < 3 * len(IDS) / 60  # no minute gets a crowd


def test_the_slot_keeps_its_wall_clock_time_across_daylight_saving_changes():
    cid = IDS[7]
    wall = (dt.datetime.min + pull_offset(cid)).time()
    for day in (dt.date(2026, 3, 7), dt.date(2026, 3, 8), dt.date(2026, 3, 9),      # spring forward on the 8th
                dt.date(2026, 10, 31), dt.date(2026, 11, 1), dt.date(2026, 11, 2),  # fall back on the 1st
                dt.date(2026, 12, 31), dt.date(2027, 1, 1)):
        local = pull_slot(cid, day).astimezone(NY)
        assert local.date() == day and local.time() == wall
    # the UTC instant moves by an hour instead: EST (UTC-5) before, EDT (UTC-4) after
    assert pull_slot(cid, dt.date(2026, 3, 8)) - pull_slot(cid, dt.date(2026, 3, 7)) == dt.timedelta(hours=24)
    assert pull_slot(cid, dt.date(2026, 3, 9)) - pull_slot(cid, dt.date(2026, 3, 8)) == dt.timedelta(hours=23)
    assert pull_slot(cid, dt.date(2026, 11, 2)) - pull_slot(cid, dt.date(2026, 11, 1)) == dt.timedelta(hours=25)


def test_next_slot_is_strictly_after_and_early_utc_morning_is_still_yesterday_in_new_york():
    cid = IDS[3]
    slot = pull_slot(cid, dt.date(2026, 7, 15))
    assert next_pull_at(cid, slot - dt.timedelta(seconds=1)) == slot
    assert next_pull_at(cid, slot) == pull_slot(cid, dt.date(2026, 7, 16))
    # 02:00 UTC on 15 July is 22:00 on the 14th in New York: the next slot is the 15th's
    assert next_pull_at(cid, dt.datetime(2026, 7, 15, 2, tzinfo=UTC)) == slot
    assert last_pull_slot(cid, slot) == slot
    assert last_pull_slot(cid, slot - dt.timedelta(seconds=1)) == pull_slot(cid, dt.date(2026, 7, 14))


def test_due_once_per_day_at_its_slot_and_catches_up_once():
    cid = IDS[11]
    clock = pull_slot(cid, dt.date(2026, 3, 7)) + dt.timedelta(seconds=30)
    runs = [clock]
    while clock < dt.datetime(2026, 3, 10, 12, tzinfo=UTC):  # a minute at a time over the spring-forward change
        clock += dt.timedelta(minutes=1)
        if pull_is_due(cid, runs[-1], clock):
            runs.append(clock)
    assert [r.astimezone(NY).date() for r in runs] == [dt.date(2026, 3, d) for d in (7, 8, 9, 10)]
    assert all(dt.timedelta(0) <= r - pull_slot(cid, r.astimezone(NY).date()) < dt.timedelta(minutes=1)
               for r in runs)
    # down for three days: due once at start, not three times
    late = dt.datetime(2026, 3, 12, 15, tzinfo=UTC)
    assert pull_is_due(cid, runs[-1], late)
    assert not pull_is_due(cid, late, late + dt.timedelta(hours=8))
    assert pull_is_due(cid, None, late)
