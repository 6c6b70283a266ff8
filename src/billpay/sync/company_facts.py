"""What the connected company accepts (currencies, closed books), read from the platform and kept.

Read after each reference-data refresh (``refresh``), stored as the ``company_info`` sync
stream, and used by ``services.platform_checks`` at Send to Payments without calling the
platform inside a person's request.
"""
from __future__ import annotations

import logging

from ..connectors import registry
from ..services import platform_checks
from .connections import connector_for
from .engine import connection_lease
from .ports import ConnectorError
from .worker import system_actor

log = logging.getLogger("billpay.sync")


def refresh(container, org_id: str) -> dict | None:  # noqa: ANN001
    """Read ``company_info()`` where the platform has it and keep it; None when it has not."""
    with connection_lease(container, org_id) as conn:
        connector = connector_for(container, conn)
        if not hasattr(connector, "company_info"):
            return None
        try:
            info = connector.company_info()
        except ConnectorError as e:
            if e.code == "platform_unsupported":
                return None
            log.warning("could not read the company's settings from %s: %s", conn.platform, e.code)
            return None
    words = registry.get(conn.platform).display_name
    with container.tx(system_actor(org_id)) as ctx:
        return platform_checks.store(ctx, info, platform=words)
