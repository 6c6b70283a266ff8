"""Per connection: one pooled HTTP client reused by every claim and closed when idle; the company's limits shared
through the database (or Redis); every request and every 429 counted, shown on the connection, the dashboard and
``/metrics``; a connector never sleeps through a long back-off."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from billpay.connectors.base.retry import RetryPolicy
from billpay.db import tables as t
from billpay.sync.connections import Resources, connection_row, connector_for, resources
from billpay.sync.ports import ConnectorError

from .conftest import mapped_vendor, open_bill


def _conn(stack) -> t.Connection:
    with stack.container.sessionmaker() as s:
        return connection_row(s, stack.org.id)


def _work_through_backoffs(stack) -> None:
    for _ in range(6):
        with stack.container.sessionmaker() as s, s.begin():
            s.execute(update(t.Outbox).values(available_at=stack.container.now()))
        stack.work()


def test_claims_share_one_pooled_client_and_the_companys_limits(stack):
    conn = _conn(stack)
    first, second = connector_for(stack.container, conn), connector_for(stack.container, conn)
    assert first.client._http is second.client._http  # the same pooled client, not one per claim
    assert first.retry.max_wait == stack.container.settings.sync_max_wait_seconds  # no long sleeps in a worker
    vendor = mapped_vendor(stack)
    open_bill(stack, vendor, "LIM-1", "12.00")
    stack.work()
    with stack.container.sessionmaker() as s:
        names = set(s.scalars(select(t.PlatformLimit.name).where(
            t.PlatformLimit.key == f"{conn.platform}:{conn.config['company_id']}")))
    assert "slots" in names  # requests in flight were counted in the shared store
    if conn.platform == "quickbooks":
        assert {"requests_per_minute", "batches_per_minute"} <= names
    assert resources(stack.container).opened == 1


def test_429s_are_counted_and_shown_on_the_connection_dashboard_and_metrics(stack):
    vendor = mapped_vendor(stack)
    bill = open_bill(stack, vendor, "TH-1", "12.00")
    stack.platform.faults(throttle_next=2)
    _work_through_backoffs(stack)
    assert stack.org.get(f"/bills/{bill['id']}").json()["sync"]["status"] == "synced"
    calls = stack.org.get("/accounting/connection").json()["platform_calls"]
    assert calls["throttled"] == 2 and calls["requests"] > 2 and calls["last_throttled_at"]
    assert stack.org.get("/accounting/dashboard").json()["connection"]["platform_calls"] == calls
    client = stack.org.client
    assert client.get("/metrics").status_code == 404  # no token configured: nothing to see
    stack.container.settings.metrics_token = "m" * 40
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    text = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 40}).text
    assert f'billpay_platform_throttled_total{{platform="{stack.platform.name}"}} 2' in text
    assert f'billpay_platform_requests_total{{platform="{stack.platform.name}"}} {calls["requests"]}' in text


def test_idle_clients_are_closed_and_the_container_closes_the_rest(stack):
    now = [0.0]
    res = Resources(stack.container, idle_seconds=300, clock=lambda: now[0])
    stack.container.connection_resources = res
    conn = _conn(stack)
    first = res.client(conn)
    now[0] = 299
    assert res.client(conn) is first and res.sweep() == 0
    now[0] = 299 + 301
    assert res.sweep() == 1 and first.is_closed
    again = res.client(conn)
    assert again is not first and not again.is_closed
    stack.container.close()
    assert again.is_closed and stack.container.connection_resources is None


def test_a_retry_policy_with_max_wait_hands_long_waits_back():
    slept: list[float] = []
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_wait=2.0, sleep=slept.append, random=lambda: 1.0)
    calls = []

    def throttled():
        calls.append(1)
        raise ConnectorError("platform_rate_limited", "slow down", kind="transient")

    with pytest.raises(ConnectorError) as e:
        policy.run(throttled)
    assert slept == [1.0, 2.0]  # pacing waits are slept...
    assert len(calls) == 3 and e.value.retry_after == 4.0  # ...the 4 s one is handed back, not slept
