"""QuickBooks Online as a billpay platform plugin."""
from __future__ import annotations

from billpay.connectors.registry import (
    Capabilities,
    ConnectFlow,
    CredentialField,
    Dimension,
    PlatformPlugin,
    Words,
)

PLUGIN = PlatformPlugin(
    name="quickbooks",
    display_name="QuickBooks Online",
    connect=ConnectFlow(kind="oauth2_code", scope="com.intuit.quickbooks.accounting", company_param="realmId"),
    credentials=(
        CredentialField("base_url", "API base URL", kind="url",
                        help="https://quickbooks.api.intuit.com (production) or the sandbox host"),
        CredentialField("token_url", "Token endpoint", kind="url"),
        CredentialField("realm_id", "Company (realm) id"),
        CredentialField("client_id", "Client id"),
        CredentialField("client_secret", "Client secret", secret=True, kind="password"),
        CredentialField("refresh_token", "Refresh token", secret=True, kind="password"),
        # Printed by ``billpay sandbox quickbooks`` and accepted in a connection body; not needed to connect.
        *(CredentialField(name, name, required=False, kind="url")
          for name in ("authorize_url", "discovery_url", "revoke_url", "api_base_url", "redirect_uri")),
    ),
    capabilities=Capabilities(
        batch_size=30,
        concurrency=10,
        limits={"requests_per_minute": 500, "batches_per_minute": 40},
        void="void",
        dimensions=(
            Dimension("class", "Class", "classes"),
            Dimension("department", "Department", "departments", lines=False),
            Dimension("location", "Location", "locations", lines=False),
        ),
        vendor_credits=True,
        create_vendors=True,
        revoke=True,
    ),
    connector="billpay.connectors.quickbooks.factory:build",
    sandbox="billpay.sandboxes.quickbooks.builtin:create",
    sandbox_server="billpay.sandboxes.quickbooks.server:run",
    official_hosts=(".intuit.com",),
    words=Words(bill="bill", bill_payment="bill payment", vendor="vendor", gl_account="account",
                company="company", vendor_credit="vendor credit"),
    company_field="realm_id",
    docs="docs/integrations/quickbooks.md",
)
