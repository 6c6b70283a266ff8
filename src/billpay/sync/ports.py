"""The one interface every accounting platform connector implements.

The sync engine (``billpay.sync``) only ever talks to a platform through
``AccountingConnector``. Connectors speak the platform's wire format and turn
it into the canonical records below; the engine never sees platform JSON/XML.

Override points for a new platform: implement every method of
``AccountingConnector`` (the optional ones of ``ConnectorExtras`` where the
plugin's ``Capabilities`` say the platform has them), raise ``ConnectorError``
with a stable ``code`` for every failure, declare the platform in a
``PlatformPlugin`` (``billpay.connectors.registry``) and enrol the connector in
the conformance suite (``tests/contract``) with one line.

Dimensions: a bill's and a line's accounting dimensions travel as
``dimensions`` — a mapping from the dimension ``code`` the plugin declares
(``class``, ``department``, ``location``, ``subsidiary``, ``project``, a
Business Central code such as ``area``) to the platform's external id. The G/L
account is ``account_id``. Pull returns the same shape, so one mapping function
serves both directions.

Idempotency contract: every write takes an ``idempotency_key``. The same key
sent twice must never create two records on the platform (QuickBooks:
``requestid``; others: external id / upsert keys). When a write failed in a
way that leaves its outcome unknown (timeout after the platform committed),
the engine calls ``find_bill``/``find_bill_payment`` with the idempotency key
and payload that were sent before writing again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Mapping, Protocol, Sequence, runtime_checkable

#: A reference-data kind: ``vendors``, ``accounts``, ``terms``, ``bank_accounts`` or a dimension's kind
#: (``classes``, ``departments``, ``locations``, ``subsidiaries``, ``projects``, ``areas`` …), as the
#: platform plugin declares them (``Capabilities.reference_kinds``).
ReferenceKind = str
#: The kinds QuickBooks Online has; kept for callers that predate per-platform kinds.
REFERENCE_KINDS: tuple[str, ...] = (
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
    """One line (split) of a bill. ``dimensions``: dimension code -> platform id.

    ``custom`` carries platform-specific facts that are not dimensions (e.g. a
    pulled QuickBooks line that is the bill's tax: ``{"quickbooks_line": "tax"}``).
    """

    amount: Decimal
    description: str | None = None
    account_id: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
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
    #: Header dimensions (code -> platform id); a line's own value wins on that line.
    dimensions: Mapping[str, str] = field(default_factory=dict)
    ap_account_id: str | None = None
    #: Units of home currency per unit of ``currency`` when the bill is not in the home currency.
    exchange_rate: Decimal | None = None


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
    dimensions: Mapping[str, str] = field(default_factory=dict)
    deleted: bool = False
    updated_at: dt.datetime | None = None
    #: The platform's own status word ("Open", "Paid In Full", "Draft" …), for people.
    status: str | None = None
    #: Units of home currency per unit of ``currency`` the bill was recorded at (foreign-currency bills).
    exchange_rate: Decimal | None = None

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
    exchange_rate: Decimal | None = None
    #: Platform ids of vendor credits to apply with this payment (reducing the cash paid).
    vendor_credit_ids: Sequence[str] = ()


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

    def find_bill(self, idempotency_key: str, payload: BillPayload) -> RemoteRef | None:
        """Find a bill billpay may already have created (after an unknown outcome).

        ``idempotency_key`` and ``payload`` are exactly what the create sent. Look up narrowly by the
        record's own key (external id, control id, business key); fail safe (report) rather than create
        twice when the marker may have been edited on the platform."""

    def push_bill_payments(
        self, items: Sequence[tuple[str, BillPaymentPayload]]
    ) -> list[WriteResult]:
        """Create bill payments linked to their bills."""

    def find_bill_payment(self, idempotency_key: str, payload: BillPaymentPayload) -> RemoteRef | None: ...


# --- optional abilities (declared in the plugin's ``Capabilities``) -------------------------------


@dataclass(frozen=True)
class CompanyInfo:
    """Facts about the connected company that decide what the platform will accept.

    Checked before money moves (Send to Payments) so a refusal is explained up
    front instead of after a payment draft exists.
    """

    home_currency: str
    currencies: Sequence[str] = ()          # currencies bills may be in (home included)
    closed_through: dt.date | None = None    # books closed up to and including this date
    bank_accounts: Sequence[ReferenceItem] = ()  # accounts bill payments may be drawn from (extra: currency)
    name: str | None = None


@dataclass(frozen=True)
class VendorPayload:
    """A vendor billpay creates on the platform (Capabilities.create_vendors)."""

    vendor_id: str  # billpay's id
    name: str
    email: str | None = None
    address: Mapping[str, str] | None = None  # line1, line2, city, region, postal_code, country
    currency: str | None = None
    tax_id: str | None = None
    #: Header dimensions a platform needs on a vendor (e.g. NetSuite ``subsidiary``).
    dimensions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VendorCreditPayload:
    """A vendor credit (credit note) billpay writes (Capabilities.vendor_credits). Amounts are positive."""

    credit_id: str  # billpay's id (the bill whose total is negative)
    vendor_external_id: str
    reference: str
    credit_date: dt.date
    currency: str
    amount: Decimal
    lines: Sequence[BillLinePayload]
    memo: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    exchange_rate: Decimal | None = None


class ConnectorExtras(Protocol):
    """Methods a connector has where its plugin's ``Capabilities`` say so.

    Connectors without an ability raise ``ConnectorError("platform_unsupported", …)``.
    """

    def company_info(self) -> CompanyInfo: ...

    def create_vendor(self, payload: VendorPayload, idempotency_key: str) -> ReferenceItem: ...

    def push_vendor_credits(self, items: Sequence[tuple[str, VendorCreditPayload]]) -> list[WriteResult]: ...

    def void_bill_payment(self, ref: RemoteRef, idempotency_key: str) -> None:
        """Reverse a synced bill payment (after a bank return); the bill reopens on the platform."""

    def revoke(self) -> None:
        """Revoke billpay's grant on the platform (disconnect); already revoked is success."""

    def close(self) -> None:
        """Release pooled resources (HTTP clients, sessions)."""
