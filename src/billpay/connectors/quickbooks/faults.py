"""QuickBooks Online faults -> stable billpay errors, in one table.

Each row maps an Intuit fault ``code`` (leading zeros stripped: ``003200`` is
``3200``), optionally narrowed by a pattern over the fault's text, to a
``Resolution``: the stable billpay code, a sentence a controller
understands, and who must act. Faults without a row fall back to the HTTP
status (``errors.resolve_status``). The raw fault (secrets scrubbed), the
HTTP status and Intuit's ``intuit_tid`` are kept in ``ConnectorError.raw``.

Codes and texts come from Intuit's error-code pages and captured responses:
610 Object Not Found (deleted or inactive references), 2xxx validation,
3001 ThrottleExceeded, 3100/120 authorization, 3200 AuthenticationFailed,
4000/4001 invalid query, 5010 Stale Object Error, 6000 business validation
(closed period, linked payments, ...), 6140 Duplicate Document Number (some
sources say 6210), 6190 subscription ended, 6210 Account Period Closed,
6240 Duplicate Name, 6540 deposited transaction, 10000 system fault.
"""
from __future__ import annotations

import re
from typing import Iterable, Literal

from billpay.connectors.base.errors import (
    AUTH_EXPIRED,
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
from billpay.connectors.quickbooks.wire import Fault
from billpay.sync.ports import ConnectorError

PLATFORM = "QuickBooks Online"

Operation = Literal["read", "query", "write", "delete"]

STALE_VERSION = Resolution(
    "platform_stale_version",
    "Someone changed this record in QuickBooks Online while billpay was saving it. "
    "billpay re-reads it and tries again.",
    "conflict",
)
PERIOD_CLOSED = Resolution(
    "platform_period_closed",
    "The bill's date falls in a period that is closed in QuickBooks Online. Reopen the "
    "period in QuickBooks (Settings > Advanced > Close the books) or change the bill date, "
    "then sync again.",
    "rejected",
)
DUPLICATE_NUMBER = Resolution(
    "platform_duplicate_number",
    "QuickBooks Online already has a bill with this invoice number. Check whether the bill "
    "was entered there already; otherwise change the invoice number and sync again.",
    "rejected",
)
DUPLICATE_NAME = Resolution(
    "platform_duplicate_name",
    "This name is already used by another vendor, customer or employee in QuickBooks Online.",
    "rejected",
)
VENDOR_INACTIVE = Resolution(
    "platform_vendor_inactive",
    "The vendor is inactive (or was merged or deleted) in QuickBooks Online. Make the vendor "
    "active in QuickBooks or map the bill to another vendor, then sync again.",
    "rejected",
)
REFERENCE_INACTIVE = Resolution(
    "platform_reference_inactive",
    "Something this record uses (vendor, account, class, department or term) is inactive or "
    "was deleted in QuickBooks Online. Check the bill's coding against QuickBooks, then sync "
    "again.",
    "rejected",
)
REFERENCE_INVALID = Resolution(
    "platform_reference_invalid",
    "This record refers to a vendor, account, class, department or term that QuickBooks "
    "Online does not know ({detail}). Refresh the reference data and fix the coding.",
    "rejected",
)
BILL_HAS_PAYMENTS = Resolution(
    "platform_bill_has_payments",
    "The bill has payments applied in QuickBooks Online, so it cannot be deleted. Delete or "
    "void those payments in QuickBooks first, then void the bill again.",
    "rejected",
)
RECORD_LOCKED = Resolution(
    "platform_record_locked",
    "QuickBooks Online will not change this transaction because it has been deposited or "
    "reconciled. Change it in QuickBooks instead.",
    "rejected",
)
SUBSCRIPTION_INACTIVE = Resolution(
    "platform_subscription_inactive",
    "The QuickBooks Online subscription of this company has ended or has a billing problem. "
    "An admin must resolve it in QuickBooks before billpay can sync.",
    "config",
)
CURRENCY_UNSUPPORTED = Resolution(
    "platform_currency_unsupported",
    "QuickBooks Online refused the bill's currency ({detail}). Turn on multicurrency in "
    "QuickBooks or check the vendor's currency.",
    "rejected",
)
REQUEST_INVALID = Resolution(
    "platform_request_invalid",
    "QuickBooks Online did not accept billpay's request ({detail}). This is a billpay problem; "
    "please contact support.",
    "rejected",
)
BANK_ACCOUNT_MISSING = Resolution(
    "platform_bank_account_missing",
    "No bank account is chosen for bill payments in {detail} on this connection, and billpay never "
    "draws on some account of its own choosing. Choose it on the Connections page.",
    "config",
)
BILL_UNCONFIRMED = Resolution(
    "platform_bill_unconfirmed",
    "billpay cannot tell whether QuickBooks Online saved this bill: {detail}. billpay did not create it "
    "again. Check the vendor's bills in QuickBooks; void this bill here if it is there, else press Retry.",
    "rejected",
)
BILL_ALREADY_PAID = Resolution(
    "platform_bill_already_paid",
    "The bill is already paid in QuickBooks Online (open balance {detail}). billpay did not "
    "record the payment there, so nothing is paid twice.",
    "rejected",
)
BILL_DELETED = Resolution(
    "platform_bill_deleted",
    "The bill was deleted in QuickBooks Online, so the payment cannot be linked to it.",
    "not_found",
)


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


_CLOSED = _p(r"period.*clos|clos.*period|books.*closed|close the books")
_DUP_DOC = _p(r"duplicate document|DocNumber")
_LINKED = _p(r"linked|payments? (?:applied|exist)|has (?:a )?payments?|unlink")
_VENDOR_ELEMENT = _p(r"element=\S*vendor")
_DELETED = _p(r"deleted")
_INACTIVE = _p(r"inactive")
_CURRENCY = _p(r"currenc")

#: The one table: Intuit fault code (+ optional text pattern) -> resolution.
QBO_FAULTS = ResolutionTable([
    Rule("610", NOT_FOUND, _DELETED),
    Rule("610", VENDOR_INACTIVE, _VENDOR_ELEMENT),
    Rule("610", REFERENCE_INACTIVE),
    Rule("100", AUTH_EXPIRED),
    Rule("110", AUTH_EXPIRED),
    Rule("120", FORBIDDEN),
    Rule("3100", FORBIDDEN),
    Rule("3200", AUTH_EXPIRED),
    Rule("3001", RATE_LIMITED),
    Rule("500", REQUEST_INVALID),
    Rule("2010", REQUEST_INVALID),
    Rule("2020", VALIDATION),
    Rule("2030", VALIDATION),
    Rule("2050", VALIDATION),
    Rule("2090", VALIDATION),
    Rule("2170", VALIDATION),
    Rule("2500", VENDOR_INACTIVE, _VENDOR_ELEMENT),
    Rule("2500", REFERENCE_INVALID),
    Rule("4000", REQUEST_INVALID),
    Rule("4001", REQUEST_INVALID),
    Rule("5010", STALE_VERSION),
    Rule("6000", PERIOD_CLOSED, _CLOSED),
    Rule("6000", BILL_HAS_PAYMENTS, _LINKED),
    Rule("6000", CURRENCY_UNSUPPORTED, _CURRENCY),
    Rule("6000", VENDOR_INACTIVE, _VENDOR_ELEMENT),
    Rule("6000", REFERENCE_INACTIVE, _INACTIVE),
    Rule("6000", VALIDATION),
    Rule("6140", DUPLICATE_NUMBER),
    Rule("6190", SUBSCRIPTION_INACTIVE),
    Rule("6210", DUPLICATE_NUMBER, _DUP_DOC),
    Rule("6210", PERIOD_CLOSED),
    Rule("6240", DUPLICATE_NAME),
    Rule("6540", RECORD_LOCKED),
    Rule("10000", UNAVAILABLE),
])

_FAULT_TYPE_FALLBACK = {
    "authenticationfault": AUTH_EXPIRED,
    "authentication": AUTH_EXPIRED,
    "authorizationfault": FORBIDDEN,
    "systemfault": UNAVAILABLE,
}


def normalise_code(code: object) -> str:
    """Intuit writes some codes zero-padded (``003200``); compare them without padding."""
    text = str(code or "").strip()
    return text.lstrip("0") or text


def resolve(fault: Fault | None, *, status: int, operation: Operation) -> tuple[Resolution, str]:
    """The resolution for a fault (or a bare HTTP status) and the detail text to show."""
    errors = (fault or {}).get("Error") or []
    first = errors[0] if errors else {}
    code = normalise_code(first.get("code"))
    detail = (first.get("Detail") or first.get("Message") or "").strip()
    text = f"{first.get('Message', '')} {first.get('Detail', '')} element={first.get('element') or ''}"
    if code == "610" and operation in ("read", "delete"):
        return NOT_FOUND, detail
    if status == 429:
        return RATE_LIMITED, detail
    resolution = QBO_FAULTS.lookup(code, text) if code else None
    if resolution is None and fault is not None:
        resolution = _FAULT_TYPE_FALLBACK.get(str(fault.get("type", "")).lower())
    if resolution is None:
        resolution = resolve_status(status) if status >= 400 else VALIDATION
    return resolution, detail


def fault_error(
    fault: Fault | None,
    *,
    status: int,
    operation: Operation,
    secrets: Iterable[str] = (),
    retry_after: float | None = None,
    intuit_tid: str | None = None,
    outcome_unknown: bool = False,
) -> ConnectorError:
    """A ``ConnectorError`` for a QuickBooks fault; tokens are scrubbed from text and ``raw``."""
    secrets = tuple(secrets)
    resolution, detail = resolve(fault, status=status, operation=operation)
    raw: dict = {"status": status}
    if intuit_tid:
        raw["intuit_tid"] = intuit_tid
    if fault is not None:
        raw["Fault"] = fault
    raw = scrub(raw, secrets)
    detail = scrub(detail, secrets) or f"HTTP {status}"
    if resolution.kind == "transient" and operation in ("write", "delete") and status >= 500:
        outcome_unknown = True  # the server may have committed before failing
    return resolution.error(
        platform=PLATFORM,
        raw=raw,
        retry_after=retry_after,
        outcome_unknown=outcome_unknown,
        detail=detail.rstrip("."),
    )


def resolution_error(resolution: Resolution, *, raw: dict | None = None, detail: str = "") -> ConnectorError:
    """A ``ConnectorError`` from one of the resolutions above (for checks billpay makes itself)."""
    return resolution.error(platform=PLATFORM, raw=raw, detail=detail.rstrip("."))
