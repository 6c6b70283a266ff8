"""Business Central API v2.0 wire facts: URLs, OData literals, keys billpay writes, limits.

- API root: ``{base_url}/v2.0/{tenant}/{environment}/api/v2.0`` (``base_url`` is
  ``https://api.businesscentral.dynamics.com`` in production); every entity under
  ``companies({company id})/``.
- OData literals: text in single quotes with ``''`` for a quote, GUIDs and dates unquoted,
  date-times as ``2024-05-01T10:00:00Z``.
- ``$batch``: at most 100 operations; pages: ``Prefer: odata.maxpagesize`` (BC's own maximum is
  20,000 entities), ``@odata.nextLink`` followed verbatim.
- What billpay writes so it can find its own records again (BC has no idempotency key):
  a purchase invoice carries a comment line ``billpay:<bill id>`` (the bill is looked up by vendor +
  ``vendorInvoiceNumber``, then this marker tells billpay's own invoice from a person's); a vendor
  payment carries ``externalDocumentNumber`` = the billpay payment id and a ``documentNumber`` derived
  from it (``BP`` + 16 hex + 2-digit generation), which stays on the posted G/L entries.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

BATCH_SIZE = 100
PAGE_SIZE = 5000
MARKER_PREFIX = "billpay:"
DESCRIPTION_LENGTH = 100
MEMO_LINES = 3
LINE_PATH_EXPAND = "purchaseInvoiceLines($expand=dimensionSetLines),dimensionSetLines"


def api_root(base_url: str, tenant_id: str, environment: str) -> str:
    base = base_url.rstrip("/")
    if base.endswith("/api/v2.0"):
        return base
    return f"{base}/v2.0/{tenant_id}/{environment}/api/v2.0" if tenant_id else f"{base}/v2.0/{environment}/api/v2.0"


def quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def format_datetime(value: dt.datetime) -> str:
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_datetime(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def parse_date(text: object) -> dt.date | None:
    if not isinstance(text, str) or not text or text.startswith("0001-01-01"):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def amount(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise ValueError(f"not a JSON number: {value!r}")


def marker(bill_id: str) -> str:
    return f"{MARKER_PREFIX}{bill_id}"


def payment_external_number(payment_id: str) -> str:
    """``externalDocumentNumber`` of billpay's vendor payment (Code[35], so upper case)."""
    return payment_id.upper()[:35]


def payment_stem(payment_id: str) -> str:
    return "BP" + hashlib.sha1(payment_id.encode()).hexdigest()[:16].upper()


def payment_document_number(payment_id: str, generation: int) -> str:
    """The payment's ``documentNumber`` (Code[20]): stem + generation, stable across retries."""
    return f"{payment_stem(payment_id)}{generation % 100:02d}"


def generation_of(idempotency_key: str) -> int:
    _, _, tail = idempotency_key.rpartition("#")
    return int(tail) if tail.isdigit() else 0
