"""Sage Intacct failures -> stable billpay errors, in one table.

Intacct reports errors by number (``errorno``) and, for business validation,
mostly under one number (BL01001973) with the cause in ``description2``; the
table below therefore keys on the number and, where one number covers
several causes, on the text, as Intacct's own clients do. Every sentence is
written for a controller and names the place in Intacct where the fix is made.
The raw error (number and the three texts, Support ID removed) is kept.
"""
from __future__ import annotations

import re
from typing import Iterable

from billpay.connectors.base.errors import (
    FORBIDDEN,
    RATE_LIMITED,
    UNAVAILABLE,
    Resolution,
    ResolutionTable,
    Rule,
    redact,
)
from billpay.connectors.intacct.wire import ErrorInfo
from billpay.sync.ports import ConnectorError

PLATFORM = "Sage Intacct"
BUSINESS = "BL01001973"

SENDER_INVALID = Resolution(
    "platform_sender_invalid",
    "Sage Intacct did not accept billpay's Web Services sender ID or its password. An admin must check the sender "
    "credentials of the Web Services subscription and reconnect Sage Intacct in Settings > Connections.",
    "config")
AUTH_REVOKED = Resolution(
    "platform_auth_revoked",
    "Sage Intacct does not (or no longer) authorize billpay's Web Services sender ID for this company. An admin "
    "must add it under Company > Setup > Company > Security > Web Services authorizations and reconnect Sage "
    "Intacct in Settings > Connections.", "auth")
AUTH_INVALID = Resolution(
    "platform_auth_invalid",
    "Sage Intacct refused the Web Services user's sign-in (user ID, company ID, entity or password, or the user "
    "is inactive). An admin must check them in Sage Intacct and reconnect in Settings > Connections.", "auth")
SESSION_INVALID = Resolution(
    "platform_auth_expired",
    "Sage Intacct ended billpay's session and did not accept a new sign-in. If this keeps happening, an admin "
    "must reconnect Sage Intacct in Settings > Connections.", "auth")
SUBSCRIPTION = Resolution(
    "platform_subscription_inactive",
    "The Sage Intacct company is not available (a demo company that expired, or a subscription that ended). "
    "Renew it, then sync again.", "config")
REQUEST_INVALID = Resolution(
    "platform_request_invalid",
    "Sage Intacct could not read billpay's request ({detail}). This is a billpay problem; contact support.",
    "rejected")
QUERY_FAILED = Resolution(
    "platform_query_failed",
    "Sage Intacct could not run billpay's query ({detail}). The Web Services user may lack permission for the "
    "object, or the company does not use it.", "rejected")
PERIOD_CLOSED = Resolution(
    "platform_period_closed",
    "Sage Intacct refused the date because the accounting period is closed ({detail}). Reopen the period in "
    "Sage Intacct or change the bill date, then re-sync.", "rejected")
VENDOR_INACTIVE = Resolution(
    "platform_vendor_inactive",
    "The vendor is inactive in Sage Intacct ({detail}). Make it active under Accounts Payable > Vendors or map "
    "another vendor, then re-sync.", "rejected")
REFERENCE_INACTIVE = Resolution(
    "platform_reference_inactive",
    "A value on the AP bill is inactive in Sage Intacct ({detail}). Choose an active one, then re-sync.",
    "rejected")
REFERENCE_INVALID = Resolution(
    "platform_reference_invalid",
    "A value on the AP bill does not exist in Sage Intacct, or not in this entity ({detail}). Refresh reference "
    "data, recode the bill, then re-sync.", "rejected")
DIMENSION_REQUIRED = Resolution(
    "platform_dimension_required",
    "Sage Intacct requires a dimension on this GL account ({detail}). Add it to the bill's lines, then re-sync.",
    "rejected")
DUPLICATE_NUMBER = Resolution(
    "platform_duplicate_number",
    "Sage Intacct already has an AP bill with this bill number for the vendor ({detail}). Check for a duplicate "
    "before re-syncing.", "rejected")
BILL_HAS_PAYMENTS = Resolution(
    "platform_bill_has_payments",
    "The AP bill has AP payments applied in Sage Intacct, so it cannot be deleted or changed there. Reverse the "
    "payments in Sage Intacct first.", "rejected")
BILL_ALREADY_PAID = Resolution(
    "platform_bill_already_paid",
    "The AP bill is already paid in full in Sage Intacct; billpay did not record a second payment.", "rejected")
PAYMENT_EXCEEDS_DUE = Resolution(
    "platform_payment_exceeds_due",
    "The AP payment is larger than the bill's amount due in Sage Intacct ({detail}); part of it was paid there "
    "already. Check the bill before syncing again.", "rejected")
EXCHANGE_RATE = Resolution(
    "platform_exchange_rate_missing",
    "Sage Intacct needs an exchange rate for this currency ({detail}). Set up the Intacct Daily Rate for it, then "
    "re-sync.", "config")
CURRENCY = Resolution(
    "platform_currency_unsupported",
    "The currency is not set up in Sage Intacct ({detail}). Turn it on for the company or use the entity's base "
    "currency.", "config")
LOCATION_REQUIRED = Resolution(
    "platform_location_required",
    "Sage Intacct needs a location (entity) on every line of a multi-entity company ({detail}). Choose a location, "
    "or connect billpay to one entity, then re-sync.", "rejected")
NOT_FOUND = Resolution(
    "platform_not_found",
    "The record no longer exists in Sage Intacct (it was deleted there).", "not_found")
DUPLICATE_REQUEST = Resolution(
    "platform_duplicate_request",
    "Sage Intacct says it already recorded this {what} (control ID {control_id}), but billpay cannot find it by its "
    "reference number {marker}; it may have been changed in Sage Intacct. Check the {what} there before syncing "
    "again.", "rejected")
VALIDATION = Resolution("platform_validation", "Sage Intacct rejected the record: {detail}.", "rejected")


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


TABLE = ResolutionTable([
    Rule("GW-0010", RATE_LIMITED),
    Rule("XL03000003", REQUEST_INVALID),
    Rule("XL03000006", SENDER_INVALID, _p(r"XML Partner ID or password")),
    Rule("XL03000006", AUTH_REVOKED, _p(r"not authorized to make Web Services requests")),
    Rule("XL03000006", SESSION_INVALID, _p(r"session")),
    Rule("XL03000006", AUTH_INVALID),
    Rule("PL04000055", SUBSCRIPTION),
    Rule("Query Failed", QUERY_FAILED),
    Rule(BUSINESS, FORBIDDEN, _p(r"You do not have permission for API")),
    Rule(BUSINESS, UNAVAILABLE, _p(r"Temporarily Off-line")),
    Rule(BUSINESS, PERIOD_CLOSED, _p(r"Date must be on or after|period .*closed|closed period")),
    Rule(BUSINESS, BILL_HAS_PAYMENTS, _p(r"payments have been applied|has payments applied")),
    Rule(BUSINESS, BILL_ALREADY_PAID, _p(r"already paid in full|has no amount due")),
    Rule(BUSINESS, PAYMENT_EXCEEDS_DUE, _p(r"exceeds its amount due|exceeds the amount due")),
    Rule(BUSINESS, DUPLICATE_NUMBER, _p(r"Bill number .* already exists|Duplicate bill number")),
    Rule(BUSINESS, VENDOR_INACTIVE, _p(r"vendor '[^']*' is inactive")),
    Rule(BUSINESS, REFERENCE_INACTIVE, _p(r"is inactive")),
    Rule(BUSINESS, DIMENSION_REQUIRED, _p(r"missing the .* dimension")),
    Rule(BUSINESS, LOCATION_REQUIRED, _p(r"LOCATIONID is required")),
    Rule(BUSINESS, EXCHANGE_RATE, _p(r"exchange rate")),
    Rule(BUSINESS, CURRENCY, _p(r"Currency '[^']*' is not enabled")),
    Rule(BUSINESS, REFERENCE_INVALID, _p(r"specified is not valid|does not exist|is invalid")),
    Rule(BUSINESS, VALIDATION),
])

_ALREADY_RECORDED = _p(r"already been recorded with the control id")
_SUPPORT_ID = re.compile(r"\s*\[(?:Support|Request) ID:[^\]]*\]")


def detail_of(errors: Iterable[ErrorInfo]) -> str:
    """The errors' own words (description2 first), Support IDs removed, for the sentence's ``{detail}``."""
    parts = []
    for error in errors:
        text = _SUPPORT_ID.sub("", error.description2 or error.description).strip().rstrip(".")
        if text and text not in parts and not text.startswith("Could not"):
            parts.append(text)
    return "; ".join(parts) or "no detail given"


def is_already_recorded(errors: Iterable[ErrorInfo]) -> bool:
    return any(_ALREADY_RECORDED.search(e.text) for e in errors)


def is_invalid_session(errors: Iterable[ErrorInfo]) -> bool:
    return any(e.errorno == "XL03000006" and "session" in e.text.lower() for e in errors)


def error_from(errors: list[ErrorInfo], *, secrets: Iterable[str] = (), outcome_unknown: bool = False,
               retry_after: float | None = None) -> ConnectorError:
    """The billpay error for an ``<errormessage>``: the first error whose number the table knows decides."""
    secrets = tuple(secrets)
    resolution = None
    for error in errors:
        resolution = TABLE.lookup(error.errorno, error.text) or (
            UNAVAILABLE if error.errorno.startswith("GW-") else None)
        if resolution is not None:
            break
    resolution = resolution or VALIDATION
    raw = {"errors": [{k: redact(_SUPPORT_ID.sub("", v), secrets) for k, v in e.raw().items()} for e in errors]}
    return resolution.error(platform=PLATFORM, raw=raw, detail=redact(detail_of(errors), secrets),
                            outcome_unknown=outcome_unknown, retry_after=retry_after)


def resolution_error(resolution: Resolution, **fields: object) -> ConnectorError:
    raw = fields.pop("raw", None)
    return resolution.error(platform=PLATFORM, raw=raw if isinstance(raw, (dict, str)) else None, **fields)
