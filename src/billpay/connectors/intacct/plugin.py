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
        "platform_auth_expired": "Sage Intacct ended billpay's session and refused a new sign-in; reconnect Sage "
                                 "Intacct on the Connections page.",
        "platform_subscription_inactive": "The Sage Intacct company (or its Web Services subscription) is not "
                                          "available; renew it under Company > Admin > Subscriptions.",
        "platform_request_invalid": "Sage Intacct could not read billpay's request; contact support with the "
                                    "record's sync history.",
        "platform_query_failed": "Give the Web Services user List and View permission on the object named in the "
                                 "message (and View on custom reports for the audit trail).",
        "platform_location_required": "Connect billpay to one entity of the company, or give every line of the AP "
                                      "bill a location, then re-sync.",
        "platform_dimension_unknown": "Remove the dimension from the AP bill, or define it in Sage Intacct as a "
                                      "user-defined dimension, then re-sync.",
        "platform_payment_exceeds_due": "Part of the AP bill was paid in Sage Intacct already; check the bill "
                                        "there before syncing the AP payment again.",
        "platform_exchange_rate_missing": "Set up the Intacct Daily Rate for the bill's currency in Sage Intacct, "
                                          "then re-sync.",
        "platform_currency_unsupported": "Turn the currency on in Sage Intacct or use the entity's base currency.",
        "platform_duplicate_request": "Sage Intacct recorded this earlier but its reference number (billpay:…) was "
                                      "changed there; find the record in Sage Intacct and restore the reference "
                                      "number, then re-sync.",
        "platform_not_found": "The record was deleted in Sage Intacct; re-sync to create it again, or void it here.",
        "platform_validation": "Correct what Sage Intacct names in the message (on the bill here, or in Sage "
                               "Intacct), then re-sync.",
    },
    company_field="company_id",
    docs="docs/integrations/intacct.md",
)
