"""What an operator watches on a deployment: queue depth, sync lag, pulls overdue, platform calls and 429s.

Read by ``GET /metrics`` (Prometheus text, behind ``BILLPAY_METRICS_TOKEN``) and ``billpay status`` (JSON).
Every figure is one indexed query; none visits every organization.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from ..db import tables as t
from .schedule import PULL_WINDOW


def snapshot(container: Any) -> dict:
    now = container.now()
    with container.sessionmaker() as s:
        due = s.execute(select(t.Outbox.kind, func.count(), func.min(t.Outbox.available_at)).where(
            t.Outbox.status == "pending", t.Outbox.available_at <= now).group_by(t.Outbox.kind)).all()
        waiting = dict(s.execute(select(t.Outbox.kind, func.count()).where(
            t.Outbox.status == "pending", t.Outbox.available_at > now).group_by(t.Outbox.kind)).all())
        running = dict(s.execute(select(t.Outbox.kind, func.count()).where(
            t.Outbox.status == "running").group_by(t.Outbox.kind)).all())
        overdue = s.scalar(select(func.count()).select_from(t.Connection).where(
            t.Connection.status == "connected", t.Connection.next_pull_at < now - PULL_WINDOW))
        calls = s.execute(select(t.PlatformCalls.platform, func.sum(t.PlatformCalls.requests),
                                 func.sum(t.PlatformCalls.throttled), func.max(t.PlatformCalls.last_throttled_at))
                          .group_by(t.PlatformCalls.platform)).all()
        payments_due = s.scalar(select(func.count()).select_from(t.Payment).where(t.Payment.due_at <= now))
    lag = {kind: max(0.0, (now - oldest).total_seconds()) for kind, _n, oldest in due}
    return {
        "at": now.isoformat(),
        "queue": {"due": {kind: n for kind, n, _ in due}, "waiting": waiting, "running": running},
        # Seconds the oldest due job of each kind has waited for a worker.
        "sync_lag_seconds": lag,
        "pulls_overdue": int(overdue or 0),
        "payments_due": int(payments_due or 0),
        "platforms": {p: {"requests": int(r or 0), "throttled": int(th or 0),
                          "throttled_per_100k": round(100_000 * int(th or 0) / int(r), 3) if r else 0.0,
                          "last_throttled_at": last.isoformat() if isinstance(last, dt.datetime) else None}
                      for p, r, th, last in calls},
    }


def _line(name: str, value: float, **labels: str) -> str:
    lab = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{lab}}} {value}" if lab else f"{name} {value}"


def prometheus(snap: dict) -> str:
    """The snapshot in Prometheus' text format."""
    out = ["# HELP billpay_jobs Outbox jobs by state and kind (due: waiting for a worker now).",
           "# TYPE billpay_jobs gauge"]
    for state in ("due", "waiting", "running"):
        for kind, n in sorted(snap["queue"][state].items()):
            out.append(_line("billpay_jobs", n, state=state, kind=kind))
    out += ["# HELP billpay_sync_lag_seconds How long the oldest due job of each kind has waited.",
            "# TYPE billpay_sync_lag_seconds gauge"]
    out += [_line("billpay_sync_lag_seconds", v, kind=k) for k, v in sorted(snap["sync_lag_seconds"].items())]
    out += ["# HELP billpay_pulls_overdue Connections whose daily pull slot passed over an hour ago unstarted.",
            "# TYPE billpay_pulls_overdue gauge", _line("billpay_pulls_overdue", snap["pulls_overdue"]),
            "# HELP billpay_payments_due Payments whose release, settlement or deadline has come.",
            "# TYPE billpay_payments_due gauge", _line("billpay_payments_due", snap["payments_due"]),
            "# HELP billpay_platform_requests_total Requests sent to accounting platforms.",
            "# TYPE billpay_platform_requests_total counter"]
    out += [_line("billpay_platform_requests_total", v["requests"], platform=p) for p, v in sorted(snap["platforms"].items())]
    out += ["# HELP billpay_platform_throttled_total Requests a platform refused as over its limits (HTTP 429).",
            "# TYPE billpay_platform_throttled_total counter"]
    out += [_line("billpay_platform_throttled_total", v["throttled"], platform=p)
            for p, v in sorted(snap["platforms"].items())]
    return "\n".join(out) + "\n"
