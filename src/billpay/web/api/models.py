"""The shapes of what the API answers, and of the request bodies read by hand, for the OpenAPI document.

The routes build plain dicts (``views.py``); these models only describe them, so a client can be written
from ``/openapi.json`` alone. The contract test and the fuzz run check every answer against them.
Money is a decimal string; times are ISO 8601 strings; dates ``YYYY-MM-DD``.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

from .schemas import Attributes, LineIn

Money = str
Json = dict[str, Any]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- shared pieces -----------------------------------------------------------------------------------------
class SyncError(Out):
    code: str | None
    message: str | None


class SyncStatus(Out):
    status: Literal["not_synced", "pending", "synced", "error"]
    external_id: str | None
    last_synced_at: str | None
    error: SyncError | None
    attempts: int


class SyncHistoryItem(Out):
    at: str
    operation: str
    outcome: str
    error: SyncError | None
    request: Json | list | str | None = None
    response: Json | list | str | None = None


class SyncHistory(Out):
    data: list[SyncHistoryItem]


# --- bills -------------------------------------------------------------------------------------------------
class BillLineOut(Out):
    id: str
    position: int
    amount: Money | None
    description: str | None
    attributes: dict[str, Any]
    attribute_sources: dict[str, Any]


class Extraction(Out):
    fields: Json
    lines: list[Json]
    status: str | None
    warnings: list[Any]
    layer_used: str | None


class BillSummary(Out):
    """A bill in a list (no lines, no extraction)."""

    id: str
    kind: Literal["bill", "credit"] = Field(description="'credit': a credit note, taken off the vendor's next payment")
    status: Literal["in_review", "confirmed", "open", "partially_paid", "paid", "void"]
    source: Literal["upload", "email", "api", "accounting"]
    vendor_id: str | None
    invoice_number: str | None
    invoice_date: str | None
    due_date: str | None
    payment_terms: str | None
    currency: str
    amount: Money | None
    paid_amount: Money | None
    memo: str | None
    attributes: dict[str, Any]
    attribute_sources: dict[str, Any]
    duplicate_of: list[Any]
    duplicate_status: Literal["none", "unresolved", "cleared"] = Field(
        description="'unresolved': a likely duplicate, held from payment until a person clears it or voids it")
    duplicate_resolution: Json | None = Field(description="Who said it is not a duplicate, when, and why")
    warnings: list[Any]
    document_id: str | None
    extraction_status: str | None
    read_only: bool
    synced_once: bool | None
    withdrawn_reason: str | None
    created_at: str | None
    updated_at: str | None
    confirmed_at: str | None
    confirmed_by: str | None
    sync: SyncStatus


class BillOut(BillSummary):
    """A bill with its lines and what extraction read."""

    lines: list[BillLineOut]
    extraction: Extraction | None


class BillList(Out):
    data: list[BillSummary]
    next_cursor: str | None


class BillUploads(Out):
    """Several files uploaded at once: one bill each."""

    data: list[BillOut]


class RuleApplication(Out):
    data: list[Json]
    dry_run: bool


# --- payments ----------------------------------------------------------------------------------------------
class Decision(Out):
    user_id: str | None
    decision: str
    reason: str | None
    round: int | None
    at: str | None


class CreditApplied(Out):
    credit_id: str
    amount: Money
    reference: str | None


class PaymentSummary(Out):
    id: str
    bill_id: str
    vendor_id: str | None
    status: Literal["draft", "pending_approval", "scheduled", "processing", "settled", "failed", "cancelled"]
    status_reason: str | None
    amount: Money | None
    currency: str
    method: Literal["ach", "wire", "check"] | None
    pay_date: str | None
    attributes: dict[str, Any]
    bank_reference: str | None
    expected_settlement_date: str | None
    return_code: str | None
    released_at: str | None
    settled_at: str | None
    approval: Json | None
    created_at: str | None
    updated_at: str | None
    credits_applied: list[CreditApplied] = Field(description="Vendor credits taken off this payment")
    cash_amount: Money | None = Field(description="What the bank sends: the amount less the credits applied")
    sync: SyncStatus


class PaymentOut(PaymentSummary):
    decisions: list[Decision]


class PaymentList(Out):
    data: list[PaymentSummary]
    next_cursor: str | None


class BillSentToPayments(BillOut):
    payment: PaymentSummary | None = Field(description="None for a credit note: it is recorded, not paid")


class BankFile(Out):
    id: str
    rail: str
    filename: str
    reference: str | None
    payment_ids: list[str]
    total: Money
    created_at: str


class BankFileList(Out):
    data: list[BankFile]
    next_cursor: str | None


# --- vendors -----------------------------------------------------------------------------------------------
class PaymentDetailsOut(Out):
    """Bank details with the account number and IBAN masked."""

    routing_number: str | None
    account_number: str | None
    iban: str | None
    bic: str | None


class Verifier(Out):
    id: str
    name: str | None


class VendorOut(Out):
    id: str
    name: str
    email: str | None
    tax_id: str | None
    address: dict[str, Any] | None
    default_terms: str | None
    default_currency: str | None
    accounting_vendor_id: str | None
    active: bool
    payment_details: PaymentDetailsOut | None
    bank_details_status: Literal["none", "verified", "pending_verification"]
    pending_payment_details: PaymentDetailsOut | None
    payment_methods: list[Literal["ach", "wire", "check"]]
    pending_payment_methods: list[Literal["ach", "wire"]]
    bank_details_entered_by: str | None = Field(description="Who entered the bank details waiting for verification")
    bank_details_verifiers: list[Verifier] = Field(
        default=[], description="Who may verify the waiting bank details (a role that allows it, not who entered them)")
    created_at: str | None = None


class VendorList(Out):
    data: list[VendorOut]
    next_cursor: str | None


class VendorSuggestion(Out):
    id: str
    name: str
    score: int


class VendorSuggestions(Out):
    data: list[VendorSuggestion]


# --- mapping rules ------------------------------------------------------------------------------------------
class RuleOut(Out):
    id: str
    name: str
    priority: int
    conditions: Json
    attributes: Json
    active: bool
    created_at: str | None


class RuleList(Out):
    data: list[RuleOut]
    next_cursor: str | None


class RulePreview(Out):
    data: list[Json]


# --- approval policy ---------------------------------------------------------------------------------------
class Approver(BaseModel):
    """Exactly one of ``user_id`` or ``role``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1, "maxProperties": 1})
    user_id: StrictStr | None = None
    role: Literal["admin", "accountant", "ap_clerk", "approver", "viewer"] | None = None


class ApprovalStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr | None = Field(None, description="Shown to approvers; 'Step N' when left out")
    min_amount: StrictStr | StrictInt = Field(..., description="Payments of at least this amount need this step")
    approvers: list[Approver]
    required: Literal["any", "all"] | StrictInt | StrictStr = Field(
        "any", description="'any', 'all' or how many approvers must approve")


class ApprovalPolicy(BaseModel):
    """Ordered steps; an empty list means no payment needs approval."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"steps": [
        {"name": "Large payments", "min_amount": "5000.00", "approvers": [{"role": "approver"}], "required": 1},
        {"name": "Very large", "min_amount": "50000.00", "approvers": [{"user_id": "usr_01H..."}],
         "required": "all"}]}]})
    steps: list[ApprovalStep]


# --- settings ----------------------------------------------------------------------------------------------
class SettingsOut(Out):
    automated_bill_splitting: bool
    pull_bills_enabled: bool
    pull_start_date: str | None
    auto_sync_payments: bool
    timezone: str
    payment_release_hour: int
    sandbox_bank_settle_days: int
    payment_rail: Literal["sandbox_bank", "nacha_file", "pain001_file"]
    originator: Json | None
    inbox_address: str


class InboxAddress(Out):
    inbox_address: str


class InboxMessage(Out):
    id: str
    channel: str
    sender: str | None
    subject: str | None
    status: str
    items: Any
    received_at: str


class InboxOut(Out):
    address: str
    webhook_url: str
    messages: list[InboxMessage]
    webhook_secret: str | None = Field(None, description="Only for admins")


class InboundOut(Out):
    message_id: str | None
    status: str
    reason: str | None
    bill_ids: list[str]
    items: Any


# --- users, keys, audit -------------------------------------------------------------------------------------
class UserOut(Out):
    id: str
    email: str
    name: str | None
    roles: list[str]
    active: bool
    created_at: str | None


class UserList(Out):
    data: list[UserOut]
    next_cursor: str | None


class ApiKeyOut(Out):
    api_key: str = Field(..., description="Shown once; send it as 'Authorization: Bearer <api key>'")


class ApiKeyInfo(Out):
    id: str
    user_id: str
    created_at: str | None
    revoked_at: str | None
    prefix: str = Field(..., description="How the key starts (bp_<id>.); the secret is never shown again")


class ApiKeyList(Out):
    data: list[ApiKeyInfo]
    next_cursor: str | None


class AuditEventOut(Out):
    id: str
    actor_type: str
    actor_id: str | None
    action: str
    record_type: str
    record_id: str | None
    before: Any
    after: Any
    created_at: str | None


class AuditEventList(Out):
    data: list[AuditEventOut]
    next_cursor: str | None


# --- accounting ---------------------------------------------------------------------------------------------
class ConnectionIn(BaseModel):
    """``{"platform", "sandbox": true}`` for the built-in sandbox, or the platform's credentials as its plugin
    declares them (names vary by platform), with an optional ``base_url`` / ``token_url``. The JSON object
    ``billpay sandbox PLATFORM`` prints, plus ``"platform"``, is such a body."""

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "additionalProperties": {"type": ["string", "integer", "boolean", "null"]},
        "examples": [{"platform": "quickbooks", "sandbox": True},
                     {"platform": "quickbooks", "base_url": "https://quickbooks.api.intuit.com",
                      "client_id": "AB...", "client_secret": "...", "realm_id": "9130...",
                      "refresh_token": "AB11..."}]})
    platform: StrictStr
    sandbox: StrictBool | None = None
    base_url: StrictStr | None = None
    token_url: StrictStr | None = None
    company_id: StrictStr | None = None
    options: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _credentials_are_scalars(self) -> "ConnectionIn":
        for name, value in (self.model_extra or {}).items():
            if value is not None and not isinstance(value, (str, int, bool)) or isinstance(value, float):
                raise ValueError(f"{name} must be a string")
        return self


class PlatformCallsOut(Out):
    """Requests this connection sent to the platform and the 429s it answered."""
    requests: int
    throttled: int
    last_throttled_at: str | None = None


class ConnectionOut(Out):
    id: str | None = None
    status: str
    platform: str | None
    platform_name: str | None = None
    options: Json | None = None
    sandbox: bool | None = None
    company_id: str | None = None
    base_url: str | None = None
    health: Json | None = None
    connected_at: str | None = None
    reference_refreshed_at: str | None = None
    next_pull_at: str | None = Field(None, description="When the daily pull runs next (its slot between 00:00 and "
                                     "01:00 New York), America/New_York with the offset")
    last_pull_at: str | None = Field(None, description="When the last pull ran, America/New_York with the offset")
    pull_due: bool | None = Field(None, description="Not scheduled yet: the first pull starts at the next minute")
    platform_calls: PlatformCallsOut | None = None


class JobQueued(Out):
    job_id: str


class JobOut(Out):
    id: str
    kind: str
    status: str
    attempts: int
    error: str | None
    created_at: str
    done_at: str | None


class ReferenceItem(Out):
    id: str
    name: str
    active: bool
    extra: Json | None


class ReferenceList(Out):
    data: list[ReferenceItem]
    next_cursor: str | None


class SyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"payment_ids": ["pay_01H..."]}]})
    payment_ids: list[StrictStr] | None = Field(None, description="Leave out to sync every ready payment")


class ConnectionOptionsIn(BaseModel):
    """The organization's choices for this connection (kept with it; platform-specific keys allowed)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"bank_accounts": {"USD": "35", "EUR": "36"}}, {"payment_journal": "CHECKING"}]})
    bank_accounts: dict[StrictStr, StrictStr] | None = Field(
        None, description="Currency -> the platform bank account bill payments in that currency are drawn from")
    payment_journal: StrictStr | None = Field(None, description="Business Central: the vendor payment journal")


class PlatformCredential(Out):
    name: str
    label: str
    secret: bool
    required: bool
    kind: str


class PlatformOut(Out):
    name: str
    display_name: str
    connect_flow: str
    sandbox: bool
    credentials: list[PlatformCredential]


class PlatformList(Out):
    data: list[PlatformOut]


class RetryQueued(Out):
    queued: list[Json]


class RetryRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record_type: Literal["bill", "payment", "vendor"]
    record_id: StrictStr


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"records": [{"record_type": "bill", "record_id": "bill_01H..."}]}, {}]})
    records: list[RetryRecord] | None = Field(None, description="Leave out to retry every record in sync error")


class SyncQueued(Out):
    queued: list[str]


class ErrorRecord(Out):
    record_type: str
    record_id: str
    message: str | None
    attempts: int


class ErrorGroup(Out):
    code: str | None
    message: str | None
    fix: str
    records: list[ErrorRecord]
    count: int


class LastPull(Out):
    at: str | None
    result: Json | None
    running: bool
    job_id: str | None


class Dashboard(Out):
    connection: ConnectionOut
    ready: list[PaymentSummary]
    ready_count: int
    synced: list[PaymentSummary]
    pending: int
    errors: list[ErrorGroup]
    last_pull: LastPull


class OAuthStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"platform": "quickbooks",
                                                                               "sandbox": True}]})
    platform: StrictStr = "quickbooks"
    sandbox: StrictBool | None = None
    client_id: StrictStr | None = None
    client_secret: StrictStr | None = None
    base_url: StrictStr | None = None
    token_url: StrictStr | None = None
    authorize_url: StrictStr | None = None


class OAuthStart(Out):
    authorize_url: str
    redirect_uri: str


class OAuthCompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    code: StrictStr
    state: StrictStr
    realmId: StrictStr | None = None
    realm_id: StrictStr | None = None
    company_id: StrictStr | None = None


# --- bodies read by hand ------------------------------------------------------------------------------------
class BillCreate(BaseModel):
    """Manual entry: the fields a person types. Amounts are decimal strings."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "vendor_id": "ven_01H...", "invoice_number": "INV-1001", "invoice_date": "2026-03-02",
        "due_date": "2026-04-01", "currency": "USD", "amount": "1250.00", "memo": "March hosting",
        "attributes": {"gl_account": "64"}}]})
    vendor_id: StrictStr | None = None
    invoice_number: StrictStr | None = None
    invoice_date: StrictStr | None = Field(None, description="YYYY-MM-DD")
    due_date: StrictStr | None = Field(None, description="YYYY-MM-DD")
    payment_terms: StrictStr | None = None
    currency: StrictStr | None = None
    amount: StrictStr | StrictInt | None = None
    memo: StrictStr | None = None
    attributes: Attributes | None = None
    lines: list[LineIn] | None = None


class BillUpload(BaseModel):
    """Upload: one invoice per ``file`` part (PDF, image or e-invoice XML); repeat the part to upload several,
    one bill each (the answer is then ``{"data": [...]}``)."""

    model_config = ConfigDict(extra="forbid")
    file: bytes | list[bytes] = Field(..., json_schema_extra={"anyOf": [
        {"type": "string", "format": "binary"}, {"type": "array", "items": {"type": "string", "format": "binary"}}]})
