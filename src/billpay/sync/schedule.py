"""The clock-driven part: payment release and settlement; daily pulls come with the sync engine."""
from __future__ import annotations

import logging

from sqlalchemy import select

from ..db import tables as t
from ..services import payments, rails
from .worker import system_actor

log = logging.getLogger("billpay.schedule")


def tick(container) -> None:  # noqa: ANN001
    with container.sessionmaker() as s:
        org_ids = list(s.scalars(select(t.Organization.id)))
    for org_id in org_ids:
        try:
            with container.tx(system_actor(org_id)) as ctx:
                payments.release_due(ctx)
            with container.tx(system_actor(org_id)) as ctx:
                rails.settle_due(ctx)
        except Exception:  # one organization's trouble must not stop the others
            log.exception("scheduled work failed for %s", org_id)
