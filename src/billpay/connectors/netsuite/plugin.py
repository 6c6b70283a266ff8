"""NetSuite as a billpay platform plugin."""
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
    name="netsuite",
    display_name="NetSuite",
    # OAuth 2.0 client credentials (Oracle's preferred method); token-based authentication (TBA) is
    # accepted too for accounts that already have an integration with tokens.
    connect=ConnectFlow(kind="client_credentials", scope="rest_webservices"),
    credentials=(
        CredentialField("account_id", "Account ID", help="Setup > Company > Company Information, e.g. 1234567 or "
                        "1234567_SB1 for a sandbox account"),
        CredentialField("base_url", "SuiteTalk base URL", kind="url",
                        help="https://<account id>.suitetalk.api.netsuite.com (REST under /services/rest)"),
        # OAuth 2.0 client credentials (machine to machine)
        CredentialField("token_url", "OAuth 2.0 token endpoint", required=False, kind="url",
                        help="https://<account id>.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"),
        CredentialField("client_id", "Client ID (integration record)", required=False),
        CredentialField("certificate_id", "Certificate ID (OAuth 2.0 client credentials mapping)", required=False),
        CredentialField("private_key_pem", "Private key of the mapped certificate", secret=True, required=False,
                        kind="pem"),
        # Token-based authentication (OAuth 1.0a)
        CredentialField("consumer_key", "Consumer key (integration record)", required=False),
        CredentialField("consumer_secret", "Consumer secret", secret=True, required=False, kind="password"),
        CredentialField("token_id", "Token ID", required=False),
        CredentialField("token_secret", "Token secret", secret=True, required=False, kind="password"),
    ),
    capabilities=Capabilities(
        batch_size=1,
        concurrency=5,
        limits={},
        void="delete",
        dimensions=(
            Dimension("subsidiary", "Subsidiary", "subsidiaries", lines=False, header=True),
            Dimension("department", "Department", "departments"),
            Dimension("class", "Class", "classes"),
            Dimension("location", "Location", "locations"),
        ),
        vendor_credits=False,
        create_vendors=False,
        revoke=False,
    ),
    connector="billpay.connectors.netsuite.factory:build",
    sandbox="billpay.sandboxes.netsuite.builtin:create",
    sandbox_server="billpay.sandboxes.netsuite.server:run",
    official_hosts=(".netsuite.com",),
    words=Words(bill="vendor bill", bill_payment="bill payment", vendor="vendor", gl_account="account",
                company="subsidiary", vendor_credit="vendor credit"),
    fixes={
        "platform_auth_revoked": "In NetSuite, check Setup > Users/Roles > Access Tokens and Setup > Integration > "
                                 "Manage Integrations, then reconnect NetSuite on the Connections page.",
        "platform_vendor_inactive": "Make the vendor active in NetSuite (Lists > Relationships > Vendors) or map "
                                    "another vendor of the bill's subsidiary, then re-sync.",
        "platform_subsidiary_mismatch": "Code the vendor bill with the vendor's subsidiary and departments, classes "
                                        "and locations of that subsidiary, then re-sync.",
        "platform_reference_inactive": "Choose an active expense account (not A/P or bank) in NetSuite's chart of "
                                       "accounts, then re-sync.",
        "platform_bill_has_payments": "Delete or void the bill payment in NetSuite before voiding the vendor bill.",
        "platform_bill_already_paid": "The vendor bill is paid in full in NetSuite; check its payments there.",
        "platform_bank_account_missing": "Choose the NetSuite bank account for the payment's currency on the "
                                         "Connections page, then sync again.",
        "platform_currency_unsupported": "Add the currency in NetSuite (Lists > Accounting > Currencies) or use "
                                         "one of the account's currencies.",
        "platform_forbidden": "Add the missing permission to billpay's NetSuite role (see the integration guide).",
        "platform_rate_limited": "NetSuite's limit of requests at once was reached; billpay waits and retries.",
    },
    company_field="account_id",
    docs="docs/integrations/netsuite.md",
)
