"""The reusable sandbox building blocks (clock, faults, limits, log, JSON, transport)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.responses import JSONResponse

from billpay.sandboxes.core import (
    FaultInjector,
    InProcessTransport,
    Limits,
    RateLimiter,
    RequestLog,
    SandboxClock,
    persistence,
    wirejson,
    withhold_committed_response,
)


def test_clock_advances_and_freezes():
    clock = SandboxClock()
    start = clock.now()
    assert clock.advance(3600) - start >= timedelta(seconds=3599)
    frozen_at = datetime(2030, 1, 1, tzinfo=timezone.utc)
    clock.freeze(frozen_at)
    assert clock.now() == frozen_at + timedelta(seconds=3600)
    clock.reset()
    assert abs((clock.now() - datetime.now(timezone.utc)).total_seconds()) < 5


def test_faults_are_consumed_one_at_a_time():
    faults = FaultInjector()
    faults.configure(
        fail_next={"count": 2, "status": 503}, throttle_next=1, latency_ms=25, timeout_after_commit=1
    )
    assert faults.latency_seconds == 0.025
    assert [faults.take_failure(), faults.take_failure(), faults.take_failure()] == [503, 503, None]
    assert faults.take_throttle() and not faults.take_throttle()
    assert faults.take_timeout_after_commit() and not faults.take_timeout_after_commit()
    assert faults.snapshot()["latency_ms"] == 25
    faults.clear()
    assert faults.latency_seconds == 0


@pytest.mark.parametrize("bad", [{"nope": 1}, {"latency_ms": -1}, {"fail_next": {"status": 200}}])
def test_faults_refuse_bad_settings(bad):
    with pytest.raises(ValueError):
        FaultInjector().configure(**bad)


def test_rate_limiter_window_and_concurrency():
    limiter = RateLimiter()
    limiter.configure(per_minute=3, concurrent=2, batch_per_minute=1)
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert limiter.try_enter("r", now) is None
    assert limiter.try_enter("r", now) is None
    assert limiter.try_enter("r", now) == "concurrent"
    limiter.leave("r")
    limiter.leave("r")
    assert limiter.try_enter("r", now, batch=True) is None
    limiter.leave("r")
    assert limiter.try_enter("r", now) == "per_minute"
    assert limiter.try_enter("other", now) is None  # limits are per company
    limiter.leave("other")
    later = now + timedelta(seconds=61)
    assert limiter.try_enter("r", later, batch=True) is None
    limiter.leave("r")
    assert limiter.try_enter("r", later, batch=True) == "batch_per_minute"


def test_rate_limiter_with_a_longer_window_says_how_long_to_wait():
    limiter = RateLimiter(Limits(per_minute=2, concurrent=1, batch_per_minute=0, window_seconds=300))
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert limiter.try_enter("u", now) is None
    assert limiter.try_enter("u", now) == "concurrent" and limiter.retry_after("u", "concurrent", now) == 1.0
    limiter.leave("u")
    assert limiter.try_enter("u", now + timedelta(seconds=100)) is None
    limiter.leave("u")
    later = now + timedelta(seconds=200)
    assert limiter.try_enter("u", later) == "per_minute"  # still inside the 5-minute window
    assert limiter.retry_after("u", "per_minute", later) == 100.0
    assert limiter.try_enter("u", now + timedelta(seconds=301)) is None


def test_request_log_counts_api_calls_by_kind():
    log = RequestLog()
    now = datetime.now(timezone.utc)
    log.record(method="POST", kind="/bill", status=200, at=now, realm="1")
    log.record(method="POST", kind="/bill", status=429, at=now, realm="1")
    log.record(method="POST", kind="/oauth2/v1/tokens/bearer", status=200, at=now, api=False)
    snap = log.snapshot()
    assert snap["total_api_calls"] == 2
    assert snap["total_other_calls"] == 1
    assert snap["by_kind"]["POST /bill"] == 2
    assert snap["by_status"] == {"200": 2, "429": 1}
    log.reset()
    assert log.snapshot()["total_api_calls"] == 0


def test_wire_json_keeps_decimals_as_numbers():
    text = wirejson.dumps({"Amount": Decimal("10.50"), "n": 3, "ok": True, "none": None})
    assert text == '{"Amount":10.50,"n":3,"ok":true,"none":null}'
    assert wirejson.loads('{"a": 1.10}')["a"] == Decimal("1.10")
    with pytest.raises(TypeError):
        wirejson.dumps({"a": 1.5})


def test_persistence_round_trips_decimals_and_datetimes(tmp_path):
    value = {"a": Decimal("1.20"), "t": datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "l": [1, "x"]}
    path = tmp_path / "state.json"
    persistence.save_atomically(path, persistence.encode(value))
    assert persistence.load_if_present(path) == value
    assert persistence.load_if_present(tmp_path / "missing.json") is None


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.post("/echo/{name}")
    async def echo(request: Request, name: str) -> JSONResponse:
        body = await request.body()
        return JSONResponse(
            {
                "name": name,
                "q": request.query_params.get("q"),
                "body": body.decode(),
                "root": request.scope.get("root_path"),
            }
        )

    @app.post("/commit")
    async def commit(request: Request) -> JSONResponse:
        return await withhold_committed_response(request.scope, JSONResponse({"ok": True}), 30)

    return app


def test_in_process_transport_round_trip():
    with httpx.Client(transport=InProcessTransport(_echo_app()), base_url="http://local") as client:
        response = client.post("/echo/abc", params={"q": "a b"}, content=b"hello")
    assert response.status_code == 200
    assert response.json() == {"name": "abc", "q": "a b", "body": "hello", "root": ""}


def test_in_process_transport_raises_read_timeout_when_response_is_withheld():
    with httpx.Client(transport=InProcessTransport(_echo_app()), base_url="http://local") as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post("/commit")


def test_in_process_transport_works_inside_a_running_event_loop():
    async def call_from_async_code() -> str:
        with httpx.Client(transport=InProcessTransport(_echo_app()), base_url="http://local") as client:
            return client.post("/echo/x").json()["name"]

    # A thread of its own: other tests (the browser suite) may leave an event loop on the main thread.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, call_from_async_code()).result(timeout=30) == "x"
