"""Every Intacct error number (and, under the business-validation number, every cause) becomes a stable
code and a sentence a controller understands; Support IDs and secrets stay out of it."""
from __future__ import annotations

import pytest

from billpay.connectors.base.errors import Resolution
from billpay.connectors.intacct import errors as intacct_errors
from billpay.connectors.intacct.errors import error_from, is_already_recorded, is_invalid_session
from billpay.connectors.intacct.plugin import PLUGIN
from billpay.connectors.intacct.wire import ErrorInfo
from billpay.sync.engine import FIXES

BL = "BL01001973"
CASES = [
    (ErrorInfo("GW-0010", "API rate limit exceeded [Request ID: X]"), "platform_rate_limited", "transient"),
    (ErrorInfo("GW-0011", "Invalid Request [Request ID: AC47C2BE:D9EE_63EBC07F.59]"), "platform_unavailable",
     "transient"),
    (ErrorInfo("XL03000003", "", "XML Parse schema error: Fatal Error 76 [Support ID: a]"),
     "platform_request_invalid", "rejected"),
    (ErrorInfo("XL03000006", "Invalid Web Services Authorization",
               "The sender ID 'x' is not authorized to make Web Services requests to company ID 'c'."),
     "platform_auth_revoked", "auth"),
    (ErrorInfo("XL03000006", "Invalid Web Services Authorization", "Incorrect Intacct XML Partner ID or password."),
     "platform_sender_invalid", "config"),
    (ErrorInfo("XL03000006", "Sign-in information is incorrect"), "platform_auth_invalid", "auth"),
    (ErrorInfo("XL03000006", "Invalid session", "The session ID is not valid or has expired."),
     "platform_auth_expired", "auth"),
    (ErrorInfo("PL04000055", "", "This company is a demo company and has expired."), "platform_subscription_inactive",
     "config"),
    (ErrorInfo("Query Failed", "", "Object definition BADOBJECT not found"), "platform_query_failed", "rejected"),
    (ErrorInfo(BL, "", "You do not have permission for API operation READ_BY_QUERY on objects of type apbill"),
     "platform_forbidden", "config"),
    (ErrorInfo(BL, "", "The Service is Temporarily Off-line"), "platform_unavailable", "transient"),
    (ErrorInfo(BL, "Period closed", "Date must be on or after 12/01/2026 [Support ID: q]"), "platform_period_closed",
     "rejected"),
    (ErrorInfo(BL, "Invalid Vendor", "The vendor 'V0005' is inactive."), "platform_vendor_inactive", "rejected"),
    (ErrorInfo(BL, "Invalid GL account", "The gl account '6900' is inactive."), "platform_reference_inactive",
     "rejected"),
    (ErrorInfo(BL, "", "Department '300': '300' specified is not valid. Department is restricted by GL account."),
     "platform_reference_invalid", "rejected"),
    (ErrorInfo(BL, "", "This transaction is missing the Department dimension for the Account 16200"),
     "platform_dimension_required", "rejected"),
    (ErrorInfo(BL, "Duplicate bill number", "Bill number 'A-1' already exists for vendor 'V1'."),
     "platform_duplicate_number", "rejected"),
    (ErrorInfo(BL, "", "Bill A-1 cannot be deleted because payments have been applied to it."),
     "platform_bill_has_payments", "rejected"),
    (ErrorInfo(BL, "", "Bill A-1 is already paid in full; it has no amount due."), "platform_bill_already_paid",
     "rejected"),
    (ErrorInfo(BL, "", "The payment of 20 to bill A-1 exceeds its amount due of 10."), "platform_payment_exceeds_due",
     "rejected"),
    (ErrorInfo(BL, "", "LOCATIONID is required on every line in a multi-entity company."),
     "platform_location_required", "rejected"),
    (ErrorInfo(BL, "", "The bill is in EUR and the entity's base currency is USD; an exchange rate is required."),
     "platform_exchange_rate_missing", "config"),
    (ErrorInfo(BL, "", "Currency 'XYZ' is not enabled for this company."), "platform_currency_unsupported", "config"),
    (ErrorInfo(BL, "Something else", "An unforeseen rule."), "platform_validation", "rejected"),
    (ErrorInfo("XX99999999", "", "Brand new error"), "platform_validation", "rejected"),
]


@pytest.mark.parametrize(("error", "code", "kind"), CASES, ids=[c[1] + "-" + c[0].errorno for c in CASES])
def test_each_error_has_a_code_and_a_sentence(error, code, kind):
    resolved = error_from([error, ErrorInfo(BL, "", "Could not create AP Bill record!")])
    assert (resolved.code, resolved.kind) == (code, kind)
    assert resolved.message.endswith(".") and "Support ID" not in resolved.message
    assert "Support ID" not in repr(resolved.raw) and "Request ID" not in repr(resolved.raw)
    assert resolved.raw["errors"][0]["errorno"] == error.errorno


def test_the_detail_is_intacct_s_own_words_without_the_follow_up():
    error = error_from([ErrorInfo(BL, "Invalid Vendor", "The vendor 'V0005' is inactive. [Support ID: z]"),
                        ErrorInfo(BL, "", "Could not create AP Bill record!")])
    assert "The vendor 'V0005' is inactive" in error.message and "Could not" not in error.message


def test_secrets_are_redacted_from_messages_and_raw():
    error = error_from([ErrorInfo(BL, "", "Echoed s3cret-pass back")], secrets=["s3cret-pass"])
    assert "s3cret-pass" not in error.message and "s3cret-pass" not in repr(error.raw)


def test_repeats_and_sessions_are_recognised_by_intacct_s_words():
    repeat = ErrorInfo("XL03000010", "Duplicate control ID",
                       "A successful transaction has already been recorded with the control id bill_1:create#0.")
    assert is_already_recorded([repeat]) and not is_already_recorded([ErrorInfo(BL, "", "Other")])
    assert is_invalid_session([ErrorInfo("XL03000006", "Invalid session", "")])
    assert not is_invalid_session([ErrorInfo("XL03000006", "Sign-in information is incorrect", "")])


def test_every_code_the_connector_gives_has_a_fix_in_intacct_words():
    codes = {value.code for value in vars(intacct_errors).values() if isinstance(value, Resolution)}
    codes |= {"platform_bank_account_missing", "platform_dimension_unknown", "platform_duplicate_number"}
    missing = sorted(c for c in codes if c not in PLUGIN.fixes and c not in FIXES)
    assert not missing, missing
    assert all(text.endswith(".") for text in PLUGIN.fixes.values())
