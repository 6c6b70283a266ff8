"""The periodic tick at fixed instants: daily pulls spread over 00:00-01:00 New York (one each, daylight saving
included), a missed slot caught up once, payments started from their due time, one ticker per minute, and a
quiet tick whose work does not grow with the number of organizations."""
from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from billpay.db import tables as t
from billpay.ids import new_id
from billpay.services import pulled_bills
from billpay.services.orgs import create_organization
from billpay.sync import schedule, worker
from billpay.sync.schedule import next_pull_at, pull_slot
from billpay.web.app import create_app

from ..conftest import make_container

UTC = dt.timezone.utc
NY = ZoneInfo("America/New_York")


def ny(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY).astimezone(UTC)


def add_connections(container, n: int, *, last_pull: dt.datetime | None = None,
                    next_pull: dt.datetime | None = None) -> list[tuple[str, str]]:
    """``n`` organizations, each connected; their last pull and next slot as given."""
    out = []
    with container.sessionmaker() as s, s.begin():
        for i in range(n):
            org, con = new_id("org"), new_id("con")
            s.add(t.Organization(id=org, name=f"Org {i}", settings={}, approval_policy={}, inbox_token=new_id("in"),
                                 inbox_secret_enc="x"))
            s.flush()
            s.add(t.Connection(id=con, org_id=org, platform="quickbooks", sandbox=True, status="connected",
                               config={"company_id": str(i)}, health={}, lease_token=0, next_pull_at=next_pull,
                               created_at=ny(2026, 1, 1)))
            if last_pull is not None:
                s.add(t.SyncState(id=new_id("sst"), org_id=org, connection_id=con, stream=pulled_bills.STREAM,
                                  last_run_at=last_pull))
            out.append((org, con))
    return out


def jobs(container, kind: str) -> list[t.Outbox]:
    with container.sessionmaker() as s:
        return list(s.scalars(select(t.Outbox).where(t.Outbox.kind == kind).order_by(t.Outbox.available_at)))


def test_pulls_spread_over_the_hour_once_each_on_the_night_daylight_saving_ends(container):
    # 1 November 2026: New York falls back at 2 AM; the pull window (00:00-01:00) is still EDT.
    conns = add_connections(container, 300, last_pull=ny(2026, 10, 31, 1, 0, 30))
    clock = ny(2026, 10, 31, 23, 58)
    while clock <= ny(2026, 11, 1, 1, 2):
        container.now = lambda c=clock: c
        schedule.tick(container)
        clock += dt.timedelta(minutes=1)
    pulls = jobs(container, "pull_bills")
    assert Counter(j.org_id for j in pulls) == Counter(org for org, _ in conns)  # each exactly once
    assert all(j.payload == {"reason": "daily", "refresh": True} for j in pulls)  # reference data first
    starts = [j.available_at for j in pulls]
    assert min(starts) >= ny(2026, 11, 1, 0, 0) and max(starts) <= ny(2026, 11, 1, 1, 0)
    assert max(starts) - min(starts) >= dt.timedelta(minutes=45)
    per_minute = Counter(s.replace(second=0) for s in starts)
    assert max(per_minute.values()) <= 20  # about 5 a minute: never everybody in the same minute
    for org, con in conns:  # each started in its own slot's minute, and its next slot is tomorrow's
        started = next(j.available_at for j in pulls if j.org_id == org)
        assert dt.timedelta(0) <= started - pull_slot(con, dt.date(2026, 11, 1)) < dt.timedelta(minutes=1)
    with container.sessionmaker() as s:
        nxt = {c.id: c.next_pull_at for c in s.scalars(select(t.Connection))}
    assert all(nxt[con] == pull_slot(con, dt.date(2026, 11, 2)) for _, con in conns)
    assert pull_slot(conns[0][1], dt.date(2026, 11, 2)) - pull_slot(conns[0][1], dt.date(2026, 11, 1)) \
        == dt.timedelta(hours=25)


def test_a_missed_slot_is_caught_up_once_at_start_and_a_new_connection_pulls_at_once(container):
    now = ny(2026, 3, 12, 9, 15)  # the servers were down since the 8th (spring forward in between)
    (late_org, late_con), = add_connections(container, 1, last_pull=ny(2026, 3, 8, 0, 59),
                                            next_pull=ny(2026, 3, 9, 0, 30))
    (new_org, new_con), = add_connections(container, 1)
    (fresh_org, fresh_con), = add_connections(container, 1, last_pull=now - dt.timedelta(hours=1))
    container.now = lambda: now
    out = schedule.tick(container)
    assert out.ran and sorted(out.pulls) == sorted([late_org, new_org])  # once each, not once per missed day
    assert out.scheduled == 2  # the two never scheduled got their slot
    with container.sessionmaker() as s:
        nxt = {c.id: c.next_pull_at for c in s.scalars(select(t.Connection))}
    assert nxt == {con: next_pull_at(con, now) for con in (late_con, new_con, fresh_con)}
    assert all(v.astimezone(NY).date() == dt.date(2026, 3, 13) for v in nxt.values())
    container.now = lambda: now + dt.timedelta(minutes=1)
    assert schedule.tick(container).pulls == []
    assert Counter(j.org_id for j in jobs(container, "pull_bills")) == Counter({late_org: 1, new_org: 1})


def test_a_pull_still_queued_is_not_queued_twice(container):
    (org, con), = add_connections(container, 1)
    slot = pull_slot(con, dt.date(2026, 5, 1))
    with container.sessionmaker() as s, s.begin():
        s.get(t.Connection, con).next_pull_at = slot
        s.add(t.Outbox(id=new_id("job"), org_id=org, kind="pull_bills", status="pending",
                       available_at=ny(2026, 5, 1, 0, 0), payload={}))
    container.now = lambda: slot + dt.timedelta(seconds=50)
    assert schedule.tick(container).pulls == []
    assert len(jobs(container, "pull_bills")) == 1
    with container.sessionmaker() as s:  # the slot moved on all the same
        assert s.get(t.Connection, con).next_pull_at == pull_slot(con, dt.date(2026, 5, 2))


def _statements(container, fn) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        seen.append(statement.split()[0].upper())

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(container.engine, "before_cursor_execute", count)
    return seen


def test_a_quiet_tick_costs_the_same_for_10_or_400_organizations(container):
    quiet = dict(last_pull=ny(2026, 6, 1, 1, 0), next_pull=ny(2026, 6, 2, 0, 30))
    add_connections(container, 10, **quiet)
    container.now = lambda: ny(2026, 6, 1, 14, 0)
    few = _statements(container, lambda: schedule.due_work(container, container.now()))
    add_connections(container, 390, **quiet)
    many = _statements(container, lambda: schedule.due_work(container, container.now()))
    assert few == many  # the same few index probes, however many organizations
    assert many.count("SELECT") <= 4 and "INSERT" not in many and "UPDATE" not in many


def test_two_tickers_in_the_same_minute_one_runs(container, db_url, tmp_path):
    add_connections(container, 20)  # all due: each must be queued once, by one ticker
    other = make_container(db_url, tmp_path / "other")
    try:
        for minute in range(3):
            now = ny(2026, 2, 2, 10, minute, 7 * minute)
            container.now = other.now = lambda n=now: n
            start = threading.Barrier(2)
            results: list = []

            def run(c):  # noqa: ANN001
                start.wait()
                results.append(schedule.tick(c))

            threads = [threading.Thread(target=run, args=(c,)) for c in (container, other)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(30)
            assert sorted(r.ran for r in results) == [False, True], minute
        assert len(jobs(container, "pull_bills")) == 20
        with container.sessionmaker() as s:
            run = s.get(t.SchedulerRun, "tick")
            assert run.minute == ny(2026, 2, 2, 10, 2)
    finally:
        other.close()


def test_the_connection_shows_its_next_and_last_pull_in_new_york_time(container):
    client = TestClient(create_app(container), raise_server_exceptions=False)
    with container.sessionmaker() as s, s.begin():
        out = create_organization(s, container.vault, name="Acme", admin_email="a@acme.test")
    h = {"Authorization": f"Bearer {out.api_key}"}
    container.now = lambda: ny(2026, 1, 20, 15, 0)
    r = client.put("/api/v1/accounting/connection", json={"platform": "quickbooks", "sandbox": True}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["last_pull_at"] is None
    assert dt.datetime.fromisoformat(r.json()["next_pull_at"]) <= container.now()  # due: pulls at the next tick
    worker.run_until_idle(container)  # reference data on connecting
    container.now = lambda: ny(2026, 1, 20, 15, 1)
    assert schedule.tick(container).pulls == [out.organization_id]  # never pulled: at once
    worker.run_until_idle(container)  # the daily pull job refreshes reference data, then pulls
    body = client.get("/api/v1/accounting/connection", headers=h).json()
    assert body["last_pull_at"] == "2026-01-20T15:01:00-05:00"
    assert body["reference_refreshed_at"] == ny(2026, 1, 20, 15, 1).isoformat()
    con = body["id"]
    nxt = dt.datetime.fromisoformat(body["next_pull_at"])
    assert body["next_pull_at"].endswith("-05:00")  # January: EST
    assert nxt == pull_slot(con, dt.date(2026, 1, 21))
    assert dt.time(0) <= nxt.time() < dt.time(1)
    # in July the same slot shows in EDT, at the same wall-clock time
    container.now = lambda: ny(2026, 7, 20, 15, 0)
    schedule.tick(container)  # due long ago: caught up once, next slot tomorrow
    body = client.get("/api/v1/accounting/connection", headers=h).json()
    assert body["next_pull_at"].endswith("-04:00")
    assert dt.datetime.fromisoformat(body["next_pull_at"]).time() == nxt.time()
    with container.sessionmaker() as s, s.begin():
        s.scalars(select(t.SyncState).where(t.SyncState.connection_id == con,
                                             t.SyncState.stream == pulled_bills.STREAM)).one().last_run_at = \
            ny(2026, 7, 20, 0, 31, 5)
    body = client.get("/api/v1/accounting/connection", headers=h).json()
    assert body["last_pull_at"] == "2026-07-20T00:31:05-04:00"
    assert body["platform_calls"]["requests"] > 0 and body["platform_calls"]["throttled"] == 0
