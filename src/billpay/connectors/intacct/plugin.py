"""Sage Intacct as a billpay platform plugin (XML Web Services gateway, session sign-in)."""
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
    name="intacct",
    display_name="Sage Intacct",
    connect=ConnectFlow(kind="session"),
    credentials=(
        CredentialField("sender_id", "Web Services sender ID",
                        help="Your Web Services sender ID, authorized in the company under Company > Setup > "
                             "Company > Security > Web Services authorizations"),
        CredentialField("sender_password", "Web Services sender password", secret=True, kind="password"),
        CredentialField("company_id", "Company ID"),
        CredentialField("user_id", "Web Services user ID",
                        help="A Web Services user (Company > Admin > Web Services users)"),
        CredentialField("user_password", "Web Services user password", secret=True, kind="password"),
        CredentialField("entity_id", "Entity ID", required=False,
                        help="Sign in to one entity of a multi-entity company (leave empty for the top level)"),
        CredentialField("endpoint_url", "XML gateway URL", required=False, kind="url",
                        help="https://api.intacct.com/ia/xml/xmlgw.phtml unless Sage gave you another"),
        # Printed by ``billpay sandbox intacct`` and accepted in a connection body; not needed to connect.
        CredentialField("base_url", "Server address", required=False, kind="url"),
    ),
    capabilities=Capabilities(
        batch_size=100,
        concurrency=2,
        limits={},
        void="delete",
        dimensions=(
            Dimension("department", "Department", "departments", header=False),
            Dimension("location", "Location", "locations", header=False),
            Dimension("class", "Class", "classes", header=False),
            Dimension("project", "Project", "projects", header=False),
        ),
        vendor_credits=False,
        create_vendors=False,
        revoke=False,
    ),
    connector="billpay.connectors.intacct.factory:build",
    sandbox="billpay.sandboxes.intacct.builtin:create",
    sandbox_server="billpay.sandboxes.intacct.server:run",
    official_hosts=("api.intacct.com",),
    words=Words(bill="AP bill", bill_payment="AP payment", vendor="vendor", gl_account="GL account",
                company="entity", vendor_credit="AP adjustment"),
    fixes={
        "platform_sender_unauthorized": "In Sage Intacct, go to Company > Setup > Company > Security, add billpay's "
                                        "sender ID under Web Services authorizations, then sync again.",
        "platform_auth_revoked": "In Sage Intacct, authorize billpay's sender ID again under Company > Security > "
                                 "Web Services authorizations, then reconnect on the Connections page.",
        "platform_auth_invalid": "Check the Web Services user ID and password (and that the user is active) in "
                                 "Sage Intacct, then reconnect on the Connections page.",
        "platform_sender_invalid": "The Web Services sender ID or its password is wrong; reconnect with the "
                                   "credentials Sage gave you for the Web Services subscription.",
        "platform_forbidden": "Give the Web Services user the Accounts Payable permissions billpay needs (bills, "
                              "payments, vendors: list, view, add, edit, delete), then sync again.",
        "platform_period_closed": "The accounting period is closed in Sage Intacct. Reopen it there or change the "
                                  "bill date, then re-sync.",
        "platform_vendor_inactive": "Make the vendor active in Sage Intacct (Accounts Payable > Vendors) or map "
                                    "another vendor, then re-sync.",
        "platform_reference_inactive": "A GL account, department, location, class or project on the AP bill is "
                                       "inactive in Sage Intacct; choose an active one, then re-sync.",
        "platform_reference_invalid": "A value on the AP bill does not exist in Sage Intacct (or not in this "
                                      "entity); refresh reference data, recode the bill, then re-sync.",
        "platform_dimension_required": "The GL account requires a dimension on every line in Sage Intacct; add "
                                       "it to the bill's lines, then re-sync.",
        "platform_duplicate_number": "An AP bill with this bill number already exists for the vendor in Sage "
                                     "Intacct. Check for a duplicate before re-syncing.",
        "platform_bill_has_payments": "The AP bill has AP payments in Sage Intacct; reverse them there before "
                                      "voiding it here.",
        "platform_bill_already_paid": "The AP bill is already paid in Sage Intacct; billpay did not pay it twice.",
        "platform_bank_account_missing": "Choose the checking account AP payments are recorded from, for this "
                                         "currency, in the Sage Intacct connection settings, then sync.",
        "platform_rate_limited": "Sage Intacct asked billpay to slow down (GW-0010); billpay retries by itself.",
    },
    company_field="company_id",
    docs="docs/integrations/intacct.md",
)
