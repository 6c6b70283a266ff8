"""Job kinds and what runs them."""
from __future__ import annotations

from ..services import capture
from .worker import handler, system_actor


@handler("extract")
def extract(container, job) -> None:  # noqa: ANN001
    with container.tx(system_actor(job.org_id)) as ctx:
        capture.run_extraction(ctx, container.storage, job.record_id)
