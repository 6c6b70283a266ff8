"""What the connected company accepts (currencies, closed books), read from the platform and kept.

Read after each reference-data refresh (``refresh``, under the same connection lease), stored per
connection as the ``company_info`` sync stream in a fenced transaction, and used by
``services.platform_checks`` at Send to Payments without calling the platform inside a person's request.
"""
from __future__ import annotations

import logging
from typing import Any

from ..connectors import registry
from ..services import platform_checks
from .attempts import fenced, held
from .connections import connector_for
from .lease import Lease
from .ports import ConnectorError

log = logging.getLogger("billpay.sync")


def refresh(container: Any, org_id: str, lease: Lease | None = None) -> dict | None:
    """Read ``company_info()`` where the platform has it and keep it; None when it has not."""
    with held(container, org_id, lease) as ls:
        conn = ls.connection
        connector = connector_for(container, conn)
        if not hasattr(connector, "company_info"):
            return None
        try:
            info = connector.company_info()
        except ConnectorError as e:
            if e.code != "platform_unsupported":
                log.warning("could not read the company's settings from %s: %s", conn.platform, e.code)
            return None
        words = registry.get(conn.platform).display_name
        with fenced(container, ls) as ctx:
            return platform_checks.store(ctx, conn.id, info, platform=words)
