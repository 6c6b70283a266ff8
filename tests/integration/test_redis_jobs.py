"""Scale-out: with BILLPAY_REDIS_URL the queue lives in a real Redis; a worker consumer drains the outbox."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from billpay import jobs
from billpay.db import tables as t
from billpay.services.context import Actor
from billpay.services.orgs import create_organization
from billpay.sync import worker

from ..conftest import make_container


@pytest.mark.redis
def test_redis_queue_wakes_a_worker_that_drains_the_outbox(tmp_path, redis_url, sqlite_url):
    container = make_container(sqlite_url, tmp_path / "data")
    container.settings.redis_url = redis_url
    with container.sessionmaker() as s, s.begin():
        org = create_organization(s, container.vault, name="Acme", admin_email="a@acme.test").organization_id
    ran = []
    worker.HANDLERS["redis_probe"] = lambda c, j: ran.append(j.record_id)
    consumer = jobs.start_in_process(container, workers=1)
    try:
        assert type(jobs._huey).__name__ == "RedisHuey"
        with container.tx(Actor.system(org)) as ctx:  # commit -> wake() enqueues into Redis
            ctx.enqueue("redis_probe", "r1")
            ctx.enqueue("redis_probe", "r2")
        deadline = time.time() + 20
        while time.time() < deadline and len(ran) < 2:
            time.sleep(0.1)
        assert sorted(ran) == ["r1", "r2"]

        def statuses() -> set[str]:
            with container.sessionmaker() as s:
                return {r.status for r in s.scalars(select(t.Outbox))}

        while time.time() < deadline and statuses() != {"done"}:
            time.sleep(0.1)
        assert statuses() == {"done"}
        # nobody reads the drains' results: none pile up in Redis
        assert jobs._huey.storage.result_store_size() == 0
    finally:
        consumer.stop(graceful=False)
        worker.HANDLERS.pop("redis_probe", None)
        jobs._huey = None
