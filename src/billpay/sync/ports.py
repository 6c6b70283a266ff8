"""The one interface every accounting platform connector implements.

The sync engine (``billpay.sync``) only ever talks to a platform through
``AccountingConnector``. Connectors speak the platform's wire format and turn
it into the canonical records below; the engine never sees platform JSON/XML.

Override points for a new platform (NetSuite, Intacct, Business Central):
implement every method of ``AccountingConnector``, raise ``ConnectorError``
with a stable ``code`` for every failure, and enrol the connector in the
conformance suite (``tests/contract``) with one line.

Idempotency contract: every write takes an ``idempotency_key``. The same key
sent twice must never create two records on the platform (QuickBooks:
``requestid``; others: external id / upsert keys). When a write failed in a
way that leaves its outcome unknown (timeout after the platform committed),
the engine calls ``find_bill``/``find_bill_payment`` with the billpay id
before writing again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol, Sequence, runtime_checkable

ReferenceKind = Literal["vendors", "accounts", "classes", "departments", "locations", "terms"]
REFERENCE_KINDS: tuple[ReferenceKind, ...] = (
    "vendors", "accounts", "classes", "departments", "locations", "terms",
)

ErrorKind = Literal["transient", "auth", "rejected", "config", "conflict", "not_found"]


class ConnectorError(Exception):
    """A platform call failed.

    ``code`` is stable and machine-readable (e.g. ``platform_rate_limited``,
    ``platform_stale_version``, ``platform_period_closed``,
    ``platform_vendor_inactive``, ``platform_auth_expired``,
    ``platform_unavailable``, ``platform_validation``, ``platform_duplicate_number``).
    ``message`` is a sentence a controller understands and may be shown in the UI.
    ``raw`` keeps the platform's own detail (fault body, status) for support; it
    never contains tokens. ``kind`` tells the engine who must act:
    transient -> retry with backoff; auth -> refresh once, then the admin must
    reconnect; rejected/config -> a person must fix data or settings; conflict ->
    re-read and retry; not_found -> the record is gone on the platform.
    ``outcome_unknown`` is True when the platform may have committed the write
    (timeout, connection reset after sending the request).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        kind: ErrorKind = "rejected",
        raw: dict | str | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.kind = kind
        self.raw = raw
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown

    @property
    def retryable(self) -> bool:
        return self.kind in ("transient", "conflict") or self.outcome_unknown


@dataclass(frozen=True)
class RemoteRef:
    """Where a billpay record lives on the platform."""

    external_id: str
    version: str | None = None  # SyncToken / ETag / lastModified


@dataclass(frozen=True)
class ReferenceItem:
    id: str
    name: str
    active: bool = True
    kind: str = ""
    extra: dict = field(default_factory=dict)  # e.g. account type, currency, email, tax id


@dataclass(frozen=True)
class BillLinePayload:
    amount: Decimal
    description: str | None = None
    account_id: str | None = None
    class_id: str | None = None
    department_id: str | None = None
    location_id: str | None = None
    custom: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BillPayload:
    """A bill as billpay wants it on the platform."""

    bill_id: str  # billpay's id; connectors store it where the platform allows (memo / external id)
    vendor_external_id: str
    invoice_number: str
    invoice_date: dt.date
    due_date: dt.date
    currency: str
    amount: Decimal
    lines: Sequence[BillLinePayload]
    memo: str | None = None
    terms_external_id: str | None = None
    department_id: str | None = None
    location_id: str | None = None
    class_id: str | None = None
    ap_account_id: str | None = None


@dataclass(frozen=True)
class RemoteBill:
    """A bill as it stands on the platform (pulled, or read back)."""

    external_id: str
    version: str | None
    vendor_external_id: str
    invoice_number: str | None
    invoice_date: dt.date | None
    due_date: dt.date | None
    currency: str
    amount: Decimal
    balance: Decimal
    lines: Sequence[BillLinePayload] = ()
    memo: str | None = None
    terms_external_id: str | None = None
    department_id: str | None = None
    location_id: str | None = None
    deleted: bool = False
    updated_at: dt.datetime | None = None

    @property
    def is_open(self) -> bool:
        return not self.deleted and self.balance > 0


@dataclass(frozen=True)
class PullResult:
    """Bills changed since the bookmark, and the bookmark to use next time.

    ``bills`` holds every changed bill (open or not), ``deleted_ids`` the bills
    deleted on the platform. ``bookmark`` is the signpost frozen when the pull
    started, so a change made during the pull is seen next time.
    """

    bills: Sequence[RemoteBill]
    deleted_ids: Sequence[str]
    bookmark: str
    full: bool  # True when this was a full scan rather than an incremental one


@dataclass(frozen=True)
class BillPaymentPayload:
    payment_id: str  # billpay's id
    bill_external_id: str
    vendor_external_id: str
    amount: Decimal
    currency: str
    pay_date: dt.date
    method: str  # ach | wire | check
    bank_account_id: str | None = None  # platform account money leaves from
    memo: str | None = None


@dataclass(frozen=True)
class WriteResult:
    """One item of a batch write: either ``ref`` or ``error`` is set."""

    key: str
    ref: RemoteRef | None = None
    error: ConnectorError | None = None


@runtime_checkable
class AccountingConnector(Protocol):
    platform: str

    def fetch_reference_data(self, kind: ReferenceKind) -> list[ReferenceItem]: ...

    def push_bills(self, items: Sequence[tuple[str, BillPayload]]) -> list[WriteResult]:
        """Create bills; ``items`` are (idempotency_key, payload). Batched where the platform allows."""

    def update_bill(self, ref: RemoteRef, payload: BillPayload, idempotency_key: str) -> RemoteRef:
        """Update attributes/lines of an existing bill (optimistic concurrency handled inside)."""

    def void_bill(self, ref: RemoteRef, idempotency_key: str) -> None:
        """Void, or delete where the platform has no void. Already gone is success."""

    def pull_bills(self, bookmark: str | None, start_date: dt.date) -> PullResult:
        """Bills with invoice date >= start_date changed since ``bookmark`` (None: full scan)."""

    def read_bill(self, ref: RemoteRef) -> RemoteBill | None:
        """The bill as it is now; None when deleted."""

    def find_bill(self, bill_id: str, payload: BillPayload) -> RemoteRef | None:
        """Find a bill billpay may already have created (after an unknown outcome)."""

    def push_bill_payments(
        self, items: Sequence[tuple[str, BillPaymentPayload]]
    ) -> list[WriteResult]:
        """Create bill payments linked to their bills."""

    def find_bill_payment(self, payment_id: str, payload: BillPaymentPayload) -> RemoteRef | None: ...
