"""Request and response bodies of the money-control endpoints (duplicates, scheduling many drafts, what
Sync Bills skipped). Unknown fields are refused; every refusal is problem+json with the codes listed."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from .models import SyncStatus, VendorOut
from .schemas import Body


class NotDuplicateIn(Body):
    """Why a flagged bill is not a duplicate; kept on the bill and in the audit trail."""

    reason: StrictStr = Field(min_length=1, max_length=500,
                              examples=["The vendor starts its invoice numbers again every year."])


class ScheduleManyIn(Body):
    """Drafts to schedule, each on its suggested date (the due date; earlier when approval is needed)."""

    payment_ids: list[StrictStr] = Field(min_length=1, max_length=200,
                                         examples=[["pay_01j9x2k4t1", "pay_01j9x2k4t2"]])


class OutcomeError(BaseModel):
    code: str = Field(examples=["duplicate_unresolved"])
    detail: str = Field(examples=["This bill may be a duplicate (…), so it cannot be scheduled. …"])


class ScheduleOutcome(BaseModel):
    """One draft: scheduled or sent for approval (``status``, ``pay_date``), or refused (``error``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"payment_id": "pay_01j9x2k4t1", "status": "pending_approval", "pay_date": "2026-11-30",
         "approval_deadline": "2026-11-27"},
        {"payment_id": "pay_01j9x2k4t2", "error": {"code": "bank_details_unverified",
                                                   "detail": "…new bank details are waiting for a second person…"}}]})
    payment_id: str
    status: str | None = None
    pay_date: str | None = None
    approval_deadline: str | None = None
    error: OutcomeError | None = None


class ScheduleOutcomes(BaseModel):
    data: list[ScheduleOutcome]


class SkippedVendor(BaseModel):
    """Open bills of one platform vendor that no billpay vendor is mapped to."""

    vendor_external_id: str = Field(examples=["58"])
    vendor_name: str = Field(examples=["Brightline Electric"])
    bills: int = Field(examples=[2])
    invoice_numbers: list[str] = Field(examples=[["INV-60051", "INV-60077"]])
    amount: str = Field(description="Total of those bills, a decimal string", examples=["1240.00"])
    vendor_id: str | None = Field(default=None, description="The billpay vendor with exactly this name, to map")
    mapped_now: bool = Field(description="Mapped since the pull: the next Sync Bills brings the bills in")


class NotBroughtIn(BaseModel):
    unmapped: list[SkippedVendor]
    before_start: int = Field(description="Open bills dated before the start date", examples=[0])
    start_date: str | None = Field(default=None, examples=["2026-01-01"])
    at: str | None = Field(default=None, description="When the last Sync Bills ran")


class VendorInPlatform(VendorOut):
    """The vendor, with the state of its creation in the connected platform (queued: ``pending``)."""

    platform_sync: SyncStatus
