"""Microsoft Dynamics 365 Business Central as a billpay platform plugin."""
from __future__ import annotations

from billpay.connectors.registry import (
    Capabilities,
    ConnectFlow,
    CredentialField,
    Dimension,
    PlatformPlugin,
    Words,
)

#: What an admin must do in BC or Entra ID for each error code, in BC's words (dashboard "fix").
FIXES = {
    "platform_auth_revoked": "In Business Central, open Microsoft Entra Applications and check that billpay's app "
                             "is Enabled; in the Azure portal check that its API.ReadWrite.All permission has admin "
                             "consent. Then reconnect Business Central.",
    "platform_client_invalid": "The client secret of billpay's app registration was refused (wrong or expired). "
                               "Create a new client secret in the Azure portal and reconnect Business Central.",
    "platform_tenant_not_found": "Reconnect Business Central with the Directory (tenant) ID shown on the app "
                                 "registration's overview page.",
    "platform_forbidden": "In Business Central, open Microsoft Entra Applications, open billpay's app and add the "
                          "D365 AUTOMATION permission set.",
    "platform_company_not_found": "Reconnect Business Central with the id of an existing company (GET companies).",
    "platform_environment_not_found": "Reconnect Business Central with the environment name shown in the Business "
                                      "Central admin center (e.g. production).",
    "platform_vendor_inactive": "Open the vendor card in Business Central and set Blocked to blank, or map the bill "
                                "to another vendor, then re-sync.",
    "platform_reference_inactive": "A G/L account on the bill is blocked in Business Central; choose another G/L "
                                   "account, then re-sync.",
    "platform_reference_invalid": "A G/L account, dimension value or vendor on the bill does not exist or cannot be "
                                  "used on purchase lines in Business Central; refresh reference data, recode the "
                                  "bill, then re-sync.",
    "platform_period_closed": "In Business Central, widen Allow Posting From/To in General Ledger Setup (or your "
                              "user setup), or change the bill date, then re-sync.",
    "platform_duplicate_number": "Business Central already has a purchase invoice with this vendor invoice number "
                                 "for the vendor; check Posted Purchase Invoices for a duplicate.",
    "platform_bill_posted": "The purchase invoice is posted and paid in Business Central; change it there "
                            "(Correct) if it must change.",
    "platform_bill_has_payments": "Unapply and reverse the payment of the posted purchase invoice in Business Central "
                                  "(Vendor Ledger Entries), then void again.",
    "platform_bill_already_paid": "The purchase invoice is already paid in Business Central; billpay did not record "
                                  "a second payment. Check the vendor ledger entries.",
    "platform_bill_deleted": "The purchase invoice was deleted or cancelled in Business Central; re-sync the bill or "
                             "void the payment.",
    "platform_bill_not_posted": "Post the purchase invoice in Business Central (or re-sync the bill), then sync the "
                                "payment.",
    "platform_payment_journal_missing": "Choose the vendor payment journal billpay records payments in (its code, "
                                        "e.g. CHECKING) in the Business Central connection settings.",
    "platform_payment_journal_in_use": "Post or delete the lines other people entered in billpay's vendor payment "
                                       "journal in Business Central, or give billpay a journal of its own.",
    "platform_stale_version": "Someone changed the record in Business Central meanwhile; billpay retries by itself.",
    "platform_rate_limited": "Business Central asked billpay to slow down; billpay retries by itself.",
}

PLUGIN = PlatformPlugin(
    name="business_central",
    display_name="Microsoft Dynamics 365 Business Central",
    connect=ConnectFlow(kind="client_credentials", scope="https://api.businesscentral.dynamics.com/.default"),
    credentials=(
        CredentialField("tenant_id", "Directory (tenant) ID",
                        help="The Microsoft Entra tenant of the Business Central subscription (a GUID)."),
        CredentialField("environment", "Environment name", help="As in the Business Central admin center, "
                        "e.g. production or sandbox."),
        CredentialField("company_id", "Company id", help="The id of the company (GET …/api/v2.0/companies)."),
        CredentialField("client_id", "Application (client) ID", help="Of billpay's app registration in Entra ID."),
        CredentialField("client_secret", "Client secret", secret=True, kind="password",
                        help="A client secret value of the app registration."),
        CredentialField("token_url", "Token endpoint", kind="url", required=False,
                        help="https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token (the default)."),
        CredentialField("authority_host", "Authority host", kind="url", required=False,
                        help="https://login.microsoftonline.com (the default)."),
        CredentialField("base_url", "API host", kind="url", required=False,
                        help="https://api.businesscentral.dynamics.com (the default)."),
    ),
    capabilities=Capabilities(
        batch_size=100,
        concurrency=5,
        limits={"requests_per_minute": 1000},
        void="delete",
        dimensions=(
            Dimension("department", "Department", "departments"),
            Dimension("project", "Project", "projects"),
            Dimension("area", "Area", "areas"),
        ),
        vendor_credits=False,
        create_vendors=False,
        revoke=False,
    ),
    connector="billpay.connectors.business_central.factory:build",
    sandbox="billpay.sandboxes.business_central.builtin:create",
    sandbox_server="billpay.sandboxes.business_central.server:run",
    official_hosts=("api.businesscentral.dynamics.com", "login.microsoftonline.com"),
    words=Words(bill="purchase invoice", bill_payment="vendor payment", vendor="vendor", gl_account="G/L account",
                company="company", vendor_credit="purchase credit memo"),
    fixes=FIXES,
    company_field="company_id",
    docs="docs/integrations/business-central.md",
)
