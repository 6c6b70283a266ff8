"""NetSuite ``nsError`` answers -> stable billpay errors, in one table.

Each row maps an ``o:errorCode`` (optionally narrowed by a pattern over the
detail and the ``o:errorPath``) to a ``Resolution``: the stable code, a sentence
a controller understands (in NetSuite's words: vendor bill, subsidiary,
Setup > Users/Roles …) and who must act. Codes without a row fall back to the
HTTP status. The raw ``nsError`` (secrets scrubbed) and the status stay in
``ConnectorError.raw``.

Codes: Oracle's "Error Handling and Error Codes for REST Web Services"
(INVALID_LOGIN, INVALID_REQUEST, INVALID_CONTENT, NONEXISTENT_ID,
CONCURRENCY_LIMIT_EXCEEDED, UNEXPECTED_ERROR) and those seen on record writes
(INVALID_KEY_OR_REF, USER_ERROR, INVALID_VALUE, RCRD_DSNT_EXIST, DUP_RCRD,
INSUFFICIENT_PERMISSION, SSS_REQUEST_LIMIT_EXCEEDED, INVALID_PARAMETER,
IDEMPOTENCY_ERROR).
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Literal

from billpay.connectors.base.errors import (
    FORBIDDEN,
    NOT_FOUND,
    RATE_LIMITED,
    UNAVAILABLE,
    VALIDATION,
    Resolution,
    ResolutionTable,
    Rule,
    resolve_status,
    scrub,
)
from billpay.sync.ports import ConnectorError

PLATFORM = "NetSuite"
Operation = Literal["read", "query", "write", "delete"]

SIGN_IN_REFUSED = Resolution(
    "platform_auth_revoked",
    "NetSuite refused billpay's sign-in: the access token was revoked or has expired, the integration record "
    "was disabled, or the role lost its permissions. An admin must check Setup > Users/Roles > Access Tokens "
    "and reconnect NetSuite in Settings > Connections.",
    "auth",
)
CONCURRENCY = Resolution(
    "platform_rate_limited",
    "NetSuite refused the request because the account's limit of requests at the same time was reached "
    "(CONCURRENCY_LIMIT_EXCEEDED). The sync waits and tries again by itself.",
    "transient",
)
VENDOR_INVALID = Resolution(
    "platform_vendor_inactive",
    "The vendor is inactive in NetSuite, no longer exists, or does not belong to the vendor bill's subsidiary. "
    "Make the vendor active in NetSuite (Lists > Relationships > Vendors) or map the bill to another vendor, "
    "then sync again.",
    "rejected",
)
SUBSIDIARY_MISMATCH = Resolution(
    "platform_subsidiary_mismatch",
    "NetSuite refused the subsidiary: a vendor bill must be in the vendor's subsidiary, and its departments, "
    "classes and locations must belong to that subsidiary. Change the coding or the vendor's subsidiary, "
    "then sync again.",
    "rejected",
)
ACCOUNT_INVALID = Resolution(
    "platform_reference_inactive",
    "An account on the vendor bill is inactive in NetSuite or cannot be used on an expense line (A/P and bank "
    "accounts cannot). Choose an active expense account, then sync again.",
    "rejected",
)
REFERENCE_INVALID = Resolution(
    "platform_reference_invalid",
    "Something the record uses ({field}) is inactive or no longer exists in NetSuite. Refresh reference data, "
    "check the bill's coding, then sync again.",
    "rejected",
)
CHANGED_SINCE = Resolution(
    "platform_stale_version",
    "Someone changed this vendor bill in NetSuite since billpay last saved it. billpay reads it again and keeps "
    "what was changed there.",
    "conflict",
)
BILL_HAS_PAYMENTS = Resolution(
    "platform_bill_has_payments",
    "This vendor bill has bill payments applied in NetSuite, and NetSuite does not delete a bill with dependent "
    "records. Delete or void the bill payment in NetSuite first, or keep the bill.",
    "rejected",
)
BILL_ALREADY_PAID = Resolution(
    "platform_bill_already_paid",
    "The vendor bill is already paid in full in NetSuite, so billpay did not record a second bill payment. "
    "Check the bill's payments in NetSuite.",
    "rejected",
)
BILL_DELETED = Resolution(
    "platform_bill_deleted",
    "The vendor bill no longer exists in NetSuite (it was deleted there), so the bill payment cannot be "
    "applied to it.",
    "rejected",
)
OVERPAYMENT = Resolution(
    "platform_overpayment",
    "The bill payment is more than the vendor bill's amount remaining in NetSuite. Check the bill in NetSuite.",
    "rejected",
)
PERMISSION = Resolution(
    "platform_forbidden",
    "The NetSuite role billpay signs in with lacks a permission this needs ({detail}). An admin must add it to "
    "the role (see the integration guide), then sync again.",
    "config",
)
DUPLICATE = Resolution(
    "platform_duplicate_record",
    "NetSuite already has a record with this external ID. billpay will look it up instead of creating another.",
    "conflict",
)
BANK_ACCOUNT_NOT_CHOSEN = Resolution(
    "platform_bank_account_missing",
    "No NetSuite bank account is chosen for {currency} bill payments. An admin must choose one in "
    "Settings > Connections (NetSuite bank account for {currency}); {choices}",
    "config",
)
CONFIG_INCOMPLETE = Resolution(
    "platform_client_invalid",
    "The NetSuite connection is incomplete: {detail}. An admin must reconnect NetSuite in Settings > Connections.",
    "config",
)
VALIDATION_CURRENCY = Resolution(
    "platform_currency_unsupported",
    "The currency {currency} is not set up in NetSuite (Lists > Accounting > Currencies). Add it there or use "
    "one of the account's currencies, then sync again.",
    "rejected",
)
UNEXPECTED_LOCATION = Resolution(
    "platform_unexpected_response",
    "NetSuite saved the record but did not say where (no Location header). billpay will look it up before "
    "trying again.",
    "transient",
)

_ERROR_TABLE = ResolutionTable([
    Rule("INVALID_LOGIN", SIGN_IN_REFUSED),
    Rule("INVALID_LOGIN_ATTEMPT", SIGN_IN_REFUSED),
    Rule("CONCURRENCY_LIMIT_EXCEEDED", CONCURRENCY),
    Rule("SSS_REQUEST_LIMIT_EXCEEDED", CONCURRENCY),
    Rule("NONEXISTENT_ID", NOT_FOUND),
    Rule("RCRD_DSNT_EXIST", NOT_FOUND),
    Rule("INVALID_KEY_OR_REF", VENDOR_INVALID, re.compile(r"(?i)\bentity\b")),
    Rule("INVALID_KEY_OR_REF", SUBSIDIARY_MISMATCH, re.compile(r"(?i)subsidiary")),
    Rule("INVALID_KEY_OR_REF", BILL_DELETED, re.compile(r"(?i)\bdoc\b")),
    Rule("INVALID_KEY_OR_REF", ACCOUNT_INVALID, re.compile(r"(?i)\baccount\b")),
    Rule("INVALID_KEY_OR_REF", REFERENCE_INVALID),
    Rule("USER_ERROR", BILL_HAS_PAYMENTS, re.compile(r"(?i)dependent records")),
    Rule("USER_ERROR", BILL_ALREADY_PAID, re.compile(r"(?i)not open|no amount remaining")),
    Rule("USER_ERROR", OVERPAYMENT, re.compile(r"(?i)amount remaining")),
    Rule("USER_ERROR", VALIDATION),
    Rule("INVALID_VALUE", VALIDATION),
    Rule("INVALID_CONTENT", VALIDATION),
    Rule("INVALID_PARAMETER", VALIDATION),
    Rule("INVALID_REQUEST", VALIDATION),
    Rule("DUP_RCRD", DUPLICATE),
    Rule("IDEMPOTENCY_ERROR", DUPLICATE),
    Rule("INSUFFICIENT_PERMISSION", PERMISSION),
    Rule("UNEXPECTED_ERROR", UNAVAILABLE),
])

CODES = _ERROR_TABLE.codes()


def first_detail(body: Any) -> dict:
    if isinstance(body, dict):
        details = body.get("o:errorDetails")
        if isinstance(details, list) and details and isinstance(details[0], dict):
            return details[0]
    return {}


def ns_error(body: Any, *, status: int, operation: Operation, secrets: Iterable[str] = (),
             retry_after: float | None = None) -> ConnectorError:
    """The ``ConnectorError`` for a NetSuite answer outside 2xx."""
    detail = first_detail(body)
    code = str(detail.get("o:errorCode") or "")
    text = str(detail.get("detail") or "")
    where = str(detail.get("o:errorPath") or "")
    resolution = _ERROR_TABLE.lookup(code, f"{text} {where}") if code else None
    if resolution is None:
        resolution = RATE_LIMITED if status == 429 else FORBIDDEN if status == 403 else resolve_status(status)
    raw = scrub({"status": status, "o:errorCode": code or None, "detail": text or None, "o:errorPath": where or None},
                secrets)
    field = where.split(".")[0] if where else "a referenced record"
    return resolution.error(platform=PLATFORM, raw=raw, retry_after=retry_after,
                            outcome_unknown=operation in ("write", "delete") and resolution.kind == "transient"
                            and status >= 500,
                            detail=_sentence(text), field=field)


def _sentence(text: str) -> str:
    text = re.sub(r"^Error while accessing resource:\s*", "", text).strip().rstrip(".")
    return text or "no detail given"


def resolution_error(resolution: Resolution, raw: dict | None = None, **fields: Any) -> ConnectorError:
    return resolution.error(platform=PLATFORM, raw=raw, **fields)
