"""What an operator watches: jobs due, waiting and running by kind, sync lag, overdue pulls, payments due,
requests and 429s per platform — from ``billpay status`` and ``/metrics`` alike, at a fixed instant."""
from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from billpay.cli import app
from billpay.db import tables as t
from billpay.ids import new_id
from billpay.sync import watch

from ..conftest import SECRET

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 8, 3, 15, 0, tzinfo=UTC)


def _fill(container) -> None:  # noqa: ANN001
    with container.sessionmaker() as s, s.begin():
        org = new_id("org")
        s.add(t.Organization(id=org, name="Acme", settings={}, approval_policy={}, inbox_token="tok",
                             inbox_secret_enc="x"))
        s.flush()
        s.add_all([
            t.Connection(id="con_late", org_id=org, platform="quickbooks", status="connected", config={}, health={},
                         lease_token=0, next_pull_at=NOW - dt.timedelta(hours=3)),
            t.Outbox(id="job_1", org_id=org, kind="push_bill", status="pending", available_at=NOW - dt.timedelta(seconds=90)),
            t.Outbox(id="job_2", org_id=org, kind="push_bill", status="pending", available_at=NOW - dt.timedelta(seconds=5)),
            t.Outbox(id="job_3", org_id=org, kind="push_bill", status="pending", available_at=NOW + dt.timedelta(minutes=5)),
            t.Outbox(id="job_4", org_id=org, kind="extract", status="running", available_at=NOW),
            t.Outbox(id="job_5", org_id=org, kind="extract", status="done", available_at=NOW - dt.timedelta(days=1)),
            t.PlatformCalls(connection_id="con_late", org_id=org, platform="quickbooks", requests=40_000, throttled=2,
                            last_throttled_at=NOW - dt.timedelta(minutes=7)),
            t.PlatformCalls(connection_id="con_other", org_id=org, platform="netsuite", requests=10, throttled=0),
        ])


def test_the_snapshot_and_its_prometheus_text(container):
    container.now = lambda: NOW
    _fill(container)
    snap = watch.snapshot(container)
    assert snap["queue"] == {"due": {"push_bill": 2}, "waiting": {"push_bill": 1}, "running": {"extract": 1}}
    assert snap["sync_lag_seconds"] == {"push_bill": 90.0}
    assert snap["pulls_overdue"] == 1
    assert snap["platforms"]["quickbooks"] == {"requests": 40_000, "throttled": 2, "throttled_per_100k": 5.0,
                                               "last_throttled_at": (NOW - dt.timedelta(minutes=7)).isoformat()}
    assert snap["platforms"]["netsuite"]["throttled"] == 0
    text = watch.prometheus(snap)
    assert 'billpay_jobs{kind="push_bill",state="due"} 2' in text
    assert 'billpay_sync_lag_seconds{kind="push_bill"} 90.0' in text
    assert "billpay_pulls_overdue 1" in text
    assert 'billpay_platform_throttled_total{platform="quickbooks"} 2' in text


def test_billpay_status_prints_the_snapshot(container, db_url, tmp_path, monkeypatch):
    container.now = lambda: NOW
    _fill(container)
    monkeypatch.setenv("BILLPAY_DATABASE_URL", db_url)
    monkeypatch.setenv("BILLPAY_SECRET_KEY", SECRET)
    monkeypatch.setenv("BILLPAY_DATA_DIR", str(tmp_path / "cli"))
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["platforms"]["quickbooks"]["throttled"] == 2
    assert out["queue"]["running"] == {"extract": 1}
