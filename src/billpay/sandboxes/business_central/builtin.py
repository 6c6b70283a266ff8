"""The Business Central sandbox as built-in demo equipment (``registry.BuiltinSandbox``).

One state per installation, kept in the data directory; the web app mounts its app at
``/sandbox/business_central`` and connections marked ``sandbox`` reach it in-process. Each
organization gets its own seeded company (in one tenant and environment of the installation)
and its own app registration, enabled on the environment's Microsoft Entra Applications page.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from . import in_process_transport
from .models import BusinessCentralState, connection_info
from .routes import create_app

MOUNT = "/sandbox/business_central"
ENVIRONMENT = "production"


class BusinessCentralBuiltin:
    platform = "business_central"

    def __init__(self, persist_path: Path | None) -> None:
        self._state = BusinessCentralState(persist_path=persist_path)
        self._app = create_app(self._state)
        self._transport = in_process_transport(self._app, root_path=MOUNT)

    @property
    def state(self) -> BusinessCentralState:
        return self._state

    @property
    def app(self) -> Any:
        return self._app

    @property
    def transport(self) -> Any:
        return self._transport

    def provision(self, org_key: str, base_url: str) -> dict:
        """Credentials for the organization's own sandbox company (seeded on first use)."""
        st = self._state
        with st.lock:
            if not st.tenants:
                st.create_tenant("billpay-sandbox.onmicrosoft.com")
            tenant_id = next(iter(st.tenants))
            st.create_environment(tenant_id, ENVIRONMENT)
            company_id = st.org_companies.get(org_key)
            if company_id is None or company_id not in st.tenants[tenant_id].environments[ENVIRONMENT].companies:
                company_id = st.create_company(tenant_id, ENVIRONMENT, f"billpay sandbox {len(st.org_companies) + 1}")
                st.org_companies[org_key] = company_id
            client_id, secret = st.register_app(tenant_id, f"billpay ({org_key or 'demo'})")
            st.set_bc_app(tenant_id, ENVIRONMENT, client_id)
            st.save()
        return connection_info(base_url, tenant_id, ENVIRONMENT, company_id, client_id, secret)


def create(container: Any) -> BusinessCentralBuiltin:
    return BusinessCentralBuiltin(container.settings.data_dir / "sandbox-business-central.json")
