"""Business Central failures -> stable billpay codes, in words a controller understands.

BC answers ``{"error": {"code", "message"}}``; the ``code`` says what kind of failure it is
(``Request_EntityChanged``, ``Application_DialogException`` …) and, for the AL errors that share
one code, the message text tells them apart (a blocked vendor, a closed posting period, a duplicate
vendor invoice number). The decision lives in ``TABLE``; ``error_from`` executes it. Messages use
BC's own words (purchase invoice, G/L account, Microsoft Entra Applications page) so the fix can be
done in BC without translation. ``raw`` keeps BC's code, message and HTTP status, scrubbed of
secrets; the correlation id BC appends stays in ``raw`` for support.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Literal

from billpay.connectors.base.errors import (
    NOT_FOUND,
    RATE_LIMITED,
    TIMEOUT,
    UNAVAILABLE,
    VALIDATION,
    Resolution,
    ResolutionTable,
    Rule,
    resolve_status,
    scrub,
)
from billpay.sync.ports import ConnectorError

PLATFORM = "Business Central"
Operation = Literal["read", "write"]

STALE_VERSION = Resolution(
    "platform_stale_version",
    "Someone changed this record in Business Central while billpay was writing it; billpay re-reads it and "
    "tries again.", "conflict")
VENDOR_BLOCKED = Resolution(
    "platform_vendor_inactive",
    "The vendor is blocked in Business Central ({detail}). Unblock the vendor on its vendor card in Business "
    "Central or map the bill to another vendor, then re-sync.", "rejected")
ACCOUNT_BLOCKED = Resolution(
    "platform_reference_inactive",
    "A G/L account on the bill is blocked in Business Central ({detail}). Choose a G/L account that is not "
    "blocked, then re-sync.", "rejected")
ACCOUNT_INVALID = Resolution(
    "platform_reference_invalid",
    "A G/L account on the bill cannot take purchase lines in Business Central ({detail}). Choose a posting "
    "account that allows direct posting, then re-sync.", "rejected")
REFERENCE_MISSING = Resolution(
    "platform_reference_invalid",
    "A value on the bill does not exist in Business Central ({detail}). Refresh reference data, recode the "
    "bill, then re-sync.", "rejected")
PERIOD_CLOSED = Resolution(
    "platform_period_closed",
    "Business Central does not allow posting on this date (it is outside the allowed posting dates in General "
    "Ledger Setup). Widen the allowed posting dates in Business Central or change the bill date, then re-sync.",
    "rejected")
DUPLICATE_NUMBER = Resolution(
    "platform_duplicate_number",
    "Business Central already has a purchase invoice with this vendor invoice number for the vendor that billpay "
    "did not create. Check for a duplicate in Business Central; billpay did not create another.", "rejected")
POSTED = Resolution(
    "platform_bill_posted",
    "The purchase invoice is posted in Business Central and can no longer be changed there.", "rejected")
VALUE_TOO_LONG = Resolution(
    "platform_validation", "Business Central refused a value that is too long: {detail}.", "rejected")
AUTH_REFUSED = Resolution(
    "platform_auth_revoked",
    "Business Central refused billpay's sign-in ({detail}). An admin must check that billpay's app has admin "
    "consent for API.ReadWrite.All and is Enabled on the Microsoft Entra Applications page in Business Central, "
    "then reconnect Business Central in Settings > Connections.", "auth")
PERMISSION_MISSING = Resolution(
    "platform_forbidden",
    "Business Central refused the action: billpay's app lacks a permission set for it. An admin must give the "
    "app the D365 AUTOMATION permission set on the Microsoft Entra Applications page in Business Central.",
    "config")
COMPANY_NOT_FOUND = Resolution(
    "platform_company_not_found",
    "The Business Central company billpay is connected to does not exist in this environment. An admin must "
    "reconnect Business Central with the right company id.", "config")
ENVIRONMENT_NOT_FOUND = Resolution(
    "platform_environment_not_found",
    "The Business Central environment billpay is connected to does not exist in the tenant. An admin must "
    "reconnect Business Central with the right environment name.", "config")
TENANT_NOT_FOUND = Resolution(
    "platform_tenant_not_found",
    "Microsoft Entra ID does not know the tenant billpay is connected to. An admin must reconnect Business "
    "Central with the right tenant id (Directory (tenant) ID of the app registration).", "config")
CLIENT_REFUSED = Resolution(
    "platform_client_invalid",
    "Microsoft Entra ID refused billpay's app credentials ({detail}). An admin must create a new client secret "
    "for the app registration and update the Business Central connection.", "config")
BILL_HAS_PAYMENTS = Resolution(
    "platform_bill_has_payments",
    "The purchase invoice is fully or partly paid in Business Central, so billpay cannot cancel it. Reverse "
    "the payment in Business Central first (unapply and reverse the vendor ledger entry), then void again.",
    "rejected")
BILL_ALREADY_PAID = Resolution(
    "platform_bill_already_paid",
    "The purchase invoice is already paid in Business Central; billpay did not record a second payment. Check "
    "the vendor ledger entries in Business Central.", "rejected")
BILL_DELETED = Resolution(
    "platform_bill_deleted",
    "The purchase invoice of this payment was deleted or cancelled in Business Central; billpay did not record "
    "the payment. Re-sync the bill or void the payment.", "rejected")
BILL_NOT_POSTED = Resolution(
    "platform_bill_not_posted",
    "The purchase invoice of this payment is still a draft in Business Central; post it there (or re-sync the "
    "bill), then sync the payment.", "rejected")
JOURNAL_MISSING = Resolution(
    "platform_payment_journal_missing",
    "No Business Central vendor payment journal is chosen for {detail} payments. An admin must choose the "
    "journal billpay records payments in (its code, e.g. CHECKING) in the Business Central connection "
    "settings; billpay did not record this payment.", "config")
JOURNAL_NOT_FOUND = Resolution(
    "platform_payment_journal_missing",
    "The vendor payment journal {detail} chosen for billpay does not exist in Business Central. An admin must "
    "choose an existing vendor payment journal in the Business Central connection settings.", "config")
JOURNAL_SHARED = Resolution(
    "platform_payment_journal_in_use",
    "The vendor payment journal {detail} has lines billpay did not enter, and posting it would post them too. "
    "Post or delete those lines in Business Central, or give billpay a vendor payment journal of its own.",
    "config")


def _p(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


TABLE = ResolutionTable([
    Rule("Request_EntityChanged", STALE_VERSION),
    Rule("Application_TooManyRequests", RATE_LIMITED),
    Rule("Authentication_InvalidCredentials", AUTH_REFUSED),
    Rule("Authorization_InsufficientPermissions", PERMISSION_MISSING),
    Rule("Internal_CompanyNotFound", COMPANY_NOT_FOUND),
    Rule("BadRequest_NotFound", ENVIRONMENT_NOT_FOUND, _p(r"environment")),
    Rule("BadRequest_NotFound", NOT_FOUND),
    Rule("Internal_RecordNotFound", REFERENCE_MISSING,
         _p(r"The (Vendor|G/L Account|Dimension|Dimension Value|Currency|Item|Payment Terms) does not exist")),
    Rule("Internal_RecordNotFound", NOT_FOUND),
    Rule("Application_DialogException", VENDOR_BLOCKED, _p(r"is blocked with type")),
    Rule("Application_DialogException", PERIOD_CLOSED, _p(r"not within your range of allowed posting dates")),
    Rule("Application_DialogException", DUPLICATE_NUMBER, _p(r"already exists for this vendor")),
    Rule("Application_DialogException", POSTED, _p(r"has been posted and can no longer be modified")),
    Rule("Application_DialogException", VALIDATION),
    Rule("Application_FieldValidationException", ACCOUNT_BLOCKED, _p(r"^Blocked must be equal to 'No'")),
    Rule("Application_FieldValidationException", ACCOUNT_INVALID, _p(r"(Direct Posting|Account Type) must be")),
    Rule("Application_FieldValidationException", VALIDATION),
    Rule("Internal_InvalidTableRelation", REFERENCE_MISSING),
    Rule("Application_StringExceededLength", VALUE_TOO_LONG),
    Rule("Internal_ServerError", UNAVAILABLE),
    Rule("Internal_ServiceUnavailable", UNAVAILABLE),
    Rule("Internal_RequestTimeout", TIMEOUT),
])

_CORRELATION = re.compile(r"\s+CorrelationId:\s+[0-9a-fA-F-]+\.?\s*$")
#: Statuses after which a write may have been committed.
_UNKNOWN_STATUSES = (408, 500, 502, 504)


def detail_of(message: str) -> str:
    return _CORRELATION.sub("", message or "").strip().rstrip(".")


def bc_error(body: Any) -> tuple[str, str] | None:
    """(code, message) of a BC error body."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return str(error.get("code") or ""), str(error.get("message") or "")
    return None


def error_from(status: int, body: Any, *, operation: Operation, secrets: Iterable[str] = (),
               retry_after: float | None = None) -> ConnectorError:
    """The ``ConnectorError`` for a BC answer with an HTTP error status."""
    parsed = bc_error(body)
    code, message = parsed if parsed else ("", "")
    detail = detail_of(message)
    resolution = (TABLE.lookup(code, detail) if code else None) or resolve_status(status)
    raw = scrub({"status": status, "code": code or None, "message": message or None}, secrets)
    unknown = operation == "write" and status in _UNKNOWN_STATUSES
    return resolution.error(platform=PLATFORM, raw=raw, retry_after=retry_after, outcome_unknown=unknown,
                            detail=scrub(detail, secrets) or f"HTTP {status}")


def resolution_error(resolution: Resolution, *, raw: dict | None = None, **fields: Any) -> ConnectorError:
    return resolution.error(platform=PLATFORM, raw=raw, **fields)
