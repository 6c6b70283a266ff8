"""Tables. Every row carries ``org_id``; every repository query filters on it.

Rows are storage, not API schemas: the web layer has its own pydantic models.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import JSONType, Money, UTCDateTime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    approval_policy: Mapped[dict] = mapped_column(JSONType, default=dict)
    inbox_token: Mapped[str] = mapped_column(String(64), unique=True)
    inbox_secret_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("org_id", "email"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    roles: Mapped[list] = mapped_column(JSONType, default=list)
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Vendor(Base):
    __tablename__ = "vendors"
    __table_args__ = (Index("ix_vendors_org_name", "org_id", "name"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    tax_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    address: Mapped[dict | None] = mapped_column(JSONType, nullable=True)  # remit-to / check address
    default_terms: Mapped[str | None] = mapped_column(String(64), nullable=True)
    default_currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Bank details are encrypted at rest (JSON of routing/account/iban/bic).
    bank_details_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    pending_bank_details_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    bank_details_changed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    bank_details_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The vendor's mapping: a vendor id of the platform, valid only for the connection it was made on
    # (``accounting_connection_id``); after a reconnect to another company the vendor shows unmapped.
    accounting_vendor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    accounting_connection_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_org_sha", "org_id", "sha256"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(300))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentBlob(Base):
    """Stored originals when documents live in the database (``BILLPAY_STORAGE=database``).

    Keyed by the content-addressed storage key (``<org_id>/<sha[:2]>/<sha><suffix>``), so the same
    bytes of one organization are stored once; rows above hold the key, filtered by organization.
    """

    __tablename__ = "document_blobs"
    __table_args__ = (Index("ix_document_blobs_org", "org_id"),)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bill(Base):
    __tablename__ = "bills"
    __table_args__ = (
        Index("ix_bills_org_status_id", "org_id", "status", "id"),
        Index("ix_bills_org_id", "org_id", "id"),  # unfiltered and multi-status lists page without sorting
        Index("ix_bills_org_vendor", "org_id", "vendor_id"),
        Index("ix_bills_org_invnorm", "org_id", "invoice_number_norm"),
        Index("ix_bills_org_source_id", "org_id", "source", "id"),
        # A pulled bill is the platform bill ``external_id`` of the connection it was pulled from.
        UniqueConstraint("connection_id", "external_id", name="uq_bills_connection_external"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    vendor_id: Mapped[str | None] = mapped_column(ForeignKey("vendors.id"), nullable=True)
    invoice_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    invoice_number_norm: Mapped[str | None] = mapped_column(String(100), nullable=True)
    invoice_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    due_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    payment_terms: Mapped[str | None] = mapped_column(String(64), nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    attribute_sources: Mapped[dict] = mapped_column(JSONType, default=dict)
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    extraction: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    extraction_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    warnings: Mapped[list] = mapped_column(JSONType, default=list)
    duplicate_of: Mapped[list] = mapped_column(JSONType, default=list)
    # A person's "not a duplicate" decision: {"by", "at", "reason", "bill_ids"} (the flags it cleared).
    duplicate_resolution: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    # "bill", or "credit" for a credit note (negative total): a vendor credit, applied to a later payment.
    kind: Mapped[str] = mapped_column(String(10), default="bill", server_default="bill")
    field_confirmations: Mapped[list] = mapped_column(JSONType, default=list)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    confirmed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    synced_once: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # pulled bills
    connection_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # pulled bills
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BillLine(Base):
    __tablename__ = "bill_lines"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    bill_id: Mapped[str] = mapped_column(ForeignKey("bills.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    attribute_sources: Mapped[dict] = mapped_column(JSONType, default=dict)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_org_status_id", "org_id", "status", "id"),
        Index("ix_payments_org_bill", "org_id", "bill_id"),
        # The scheduler's only look at payments: those whose next clock-driven step has come.
        Index("ix_payments_due", "due_at", sqlite_where=text("due_at IS NOT NULL"),
              postgresql_where=text("due_at IS NOT NULL")),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    bill_id: Mapped[str] = mapped_column(ForeignKey("bills.id"))
    vendor_id: Mapped[str | None] = mapped_column(ForeignKey("vendors.id"), nullable=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str | None] = mapped_column(String(10), nullable=True)
    pay_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    approval_snapshot: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    bank_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expected_settlement: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    return_code: Mapped[str | None] = mapped_column(String(4), nullable=True)
    pending_return_code: Mapped[str | None] = mapped_column(String(4), nullable=True)  # sandbox bank simulation
    bank_file_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Vendor credits taken off this payment: [{"credit_id", "amount"}]; ``amount`` above is the cash part.
    credits_applied: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the clock next has something to do with this payment (release at the pay date's release hour, the
    # sandbox bank's settlement, an approval deadline passing); kept by ``services.payment_due`` on every flush.
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BankFile(Base):
    """A payment file made for the bank (NACHA ACH or ISO 20022 pain.001), kept unchanged."""

    __tablename__ = "bank_files"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    rail: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    storage_key: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(64))
    payment_ids: Mapped[list] = mapped_column(JSONType, default=list)
    total: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentDecision(Base):
    __tablename__ = "payment_decisions"
    __table_args__ = (UniqueConstraint("payment_id", "round", "user_id", name="uq_decision_once"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    user_id: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(10))  # approve | reject
    # The roles the person held when deciding, so a later role change does not undo a recorded approval.
    roles: Mapped[list] = mapped_column(JSONType, default=list)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MappingRule(Base):
    __tablename__ = "mapping_rules"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    conditions: Mapped[dict] = mapped_column(JSONType, default=dict)
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Connection(Base):
    """One organization's link to one company of one platform.

    Reconnecting to another company or platform makes a new row; the old one is kept (status
    ``disconnected``) with the sync records, reference data and bookmarks keyed by it, for audit.
    At most one row per organization is ``connected``.
    """

    __tablename__ = "connections"
    __table_args__ = (Index("ix_connections_org", "org_id"),
                      Index("uq_connections_one_connected", "org_id", unique=True,
                            sqlite_where=text("status = 'connected'"),
                            postgresql_where=text("status = 'connected'")),
                      # The scheduler's look at connections: the daily pulls whose slot has come.
                      Index("ix_connections_next_pull", "next_pull_at", sqlite_where=text("status = 'connected'"),
                            postgresql_where=text("status = 'connected'")))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    platform: Mapped[str] = mapped_column(String(30))
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="connected")
    config: Mapped[dict] = mapped_column(JSONType, default=dict)  # base_url, token_url, realm_id, client_id
    secrets_enc: Mapped[str | None] = mapped_column(Text, nullable=True)  # client secret, tokens
    health: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Lease that serializes one connection's sync work across workers. ``lease_token`` grows by one at
    # every acquisition: a holder's writes check it (fencing), so a holder that lost the lease writes nothing.
    lock_owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lock_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_token: Mapped[int] = mapped_column(Integer, default=0)
    # When the connection's last turn with a worker began: workers serve the least recently served first.
    turn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The daily pull and reference refresh: the connection's own slot in 00:00-01:00 America/New_York
    # (``sync.schedule``); NULL until the scheduler first sees the connection (it pulls at once).
    next_pull_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reference_refreshed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReferenceItem(Base):
    __tablename__ = "reference_items"
    __table_args__ = (UniqueConstraint("connection_id", "kind", "external_id", name="uq_reference_item"),
                      Index("ix_reference_items_org_conn_kind", "org_id", "connection_id", "kind"))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    connection_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    extra: Mapped[dict] = mapped_column(JSONType, default=dict)


class SyncRecord(Base):
    """Where one bill / payment stands with one connection (a bill pushed to two companies has two)."""

    __tablename__ = "sync_records"
    __table_args__ = (UniqueConstraint("connection_id", "record_type", "record_id", name="uq_sync_record"),
                      # The dashboard: records in one state (errors, syncing), latest synced payments first.
                      Index("ix_sync_records_org_state", "org_id", "state", "record_type", "last_synced_at"))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    connection_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    record_type: Mapped[str] = mapped_column(String(10))  # bill | payment
    record_id: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    external_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str] = mapped_column(String(12), default="not_synced")
    last_sent: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_raw: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The create whose outcome is not known yet (sent, no answer recorded): its request is kept in
    # ``sync_attempts`` and replayed as sent; the bill's key fields stay frozen until it is settled.
    attempt_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class SyncAttempt(Base):
    """One platform write request as it was sent: the items (idempotency key, record, payload) in order.

    Recovery after an unknown outcome (timeout, crash, lost lease) sends exactly this request again, so
    the platform's idempotency (QuickBooks ``requestid`` of the batch, NetSuite external id, Intacct
    control id, Business Central business key) answers it instead of creating anything twice.
    """

    __tablename__ = "sync_attempts"
    __table_args__ = (Index("ix_sync_attempts_conn", "connection_id", "resolved_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    connection_id: Mapped[str] = mapped_column(String(40))
    record_type: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(20))
    items: Mapped[list] = mapped_column(JSONType, default=list)  # [{"record_id", "key", "payload"}]
    lease_token: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SyncLog(Base):
    __tablename__ = "sync_log"
    __table_args__ = (Index("ix_sync_log_record", "org_id", "record_type", "record_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    connection_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    record_type: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[str] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(12))  # ok | error | retry
    request_summary: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    response_summary: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncState(Base):
    """Per connection and stream: the pull bookmark, the scope it covers, and the schedule."""

    __tablename__ = "sync_state"
    __table_args__ = (UniqueConstraint("connection_id", "stream", name="uq_sync_state"),
                      Index("ix_sync_state_org_stream", "org_id", "stream"))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    connection_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    stream: Mapped[str] = mapped_column(String(30))
    bookmark: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What the bookmark covers (start date, mapped vendors): a wider scope needs a full pass first.
    scope: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_result: Mapped[dict | None] = mapped_column(JSONType, nullable=True)


class Outbox(Base):
    """Pending work. The database, not the queue, is the source of truth."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_claim", "status", "available_at"),
                      Index("ix_outbox_record", "org_id", "kind", "record_id"),
                      Index("ix_outbox_org_claim", "org_id", "status", "available_at"))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|running|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_org_id", "org_id", "id"),
                      # A record's trail, newest first, without scanning the organization's events (id last).
                      Index("ix_audit_record", "org_id", "record_type", "record_id", "id"))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    actor_type: Mapped[str] = mapped_column(String(10))  # user | system | api_key
    actor_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    action: Mapped[str] = mapped_column(String(60))
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    before: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginFailure(Base):
    """A failed sign-in, kept for the rate limit that every web process shares (web/ui/login_limit.py)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "failed_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # sha256 of e-mail + client address
    failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("org_id", "key", name="uq_idempotency_key"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # smtp | webhook | upload
    sender: Mapped[str | None] = mapped_column(String(400), nullable=True)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    storage_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # processed | no_invoice | rejected
    items: Mapped[list] = mapped_column(JSONType, default=list)  # per attachment outcome
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VendorProfile(Base):
    __tablename__ = "vendor_profiles"
    __table_args__ = (UniqueConstraint("org_id", "vendor_id", name="uq_vendor_profile"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id"))
    profile: Mapped[dict] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PlatformLimit(Base):
    """Platform limits shared by every worker when there is no Redis (``sync.limits.DatabaseLimits``).

    One row per company key (``<platform>:<company id>``) and name: a token bucket (``level`` tokens at
    ``stamp``, seconds since the epoch) or, for ``name == "slots"``, the requests in flight (``holders``:
    holder id -> expiry in epoch seconds).
    """

    __tablename__ = "platform_limits"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    level: Mapped[float] = mapped_column(Float, default=0.0)
    stamp: Mapped[float] = mapped_column(Float, default=0.0)
    holders: Mapped[dict] = mapped_column(JSONType, default=dict)


class PlatformCalls(Base):
    """Requests each connection sent to its platform and how many were refused as over a limit (HTTP 429)."""

    __tablename__ = "platform_calls"
    __table_args__ = (Index("ix_platform_calls_platform", "platform"),)
    connection_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(String(30))
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    throttled: Mapped[int] = mapped_column(BigInteger, default=0)
    last_throttled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SchedulerRun(Base):
    """The periodic tick's election: the process that moves ``minute`` forward runs that minute's tick."""

    __tablename__ = "scheduler_runs"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    minute: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    runner: Mapped[str | None] = mapped_column(String(80), nullable=True)


class SandboxState(Base):
    """A built-in sandbox's state, shared by every process of the installation (serve and workers)."""

    __tablename__ = "sandbox_states"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
