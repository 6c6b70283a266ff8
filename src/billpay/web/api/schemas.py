"""Request bodies. Unknown fields are refused (``field_unknown``); amounts are decimal strings."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

Amount = StrictStr | StrictInt


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: ``gl_account``, one key per dimension the connected platform declares (``class``, ``department``,
#: ``subsidiary``, ``area`` …), ``custom`` (an object of strings) and, on a bill, ``exchange_rate``: which names are
#: known depends on the connection, so the service checks them (``attribute_unknown``).
Attributes = dict[StrictStr, StrictStr | dict[StrictStr, StrictStr] | None]



def attrs_dict(a: "Attributes | None") -> dict | None:
    if a is None:
        return None
    return {k: v for k, v in a.items() if v is not None}




class LineIn(Body):
    amount: Amount | None = None
    percentage: Amount | None = None
    description: StrictStr | None = None
    attributes: Attributes | None = None

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.model_dump(exclude_unset=True).items() if k != "attributes"}
        if self.attributes is not None:
            d["attributes"] = attrs_dict(self.attributes)
        return d


class BillIn(Body):
    kind: Literal["bill", "credit"] | None = Field(
        default=None, description="'credit' for a credit note: a vendor credit taken off the vendor's next payment")
    vendor_id: StrictStr | None = None
    invoice_number: StrictStr | None = None
    invoice_date: StrictStr | None = None
    due_date: StrictStr | None = None
    payment_terms: StrictStr | None = None
    currency: StrictStr | None = None
    amount: Amount | None = None
    memo: StrictStr | None = None
    attributes: Attributes | None = None
    lines: list[LineIn] | None = None

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.model_dump(exclude_unset=True).items() if k not in ("attributes", "lines")}
        if "attributes" in self.model_fields_set:
            d["attributes"] = attrs_dict(self.attributes) or {}
        if self.lines is not None:
            d["lines"] = [ln.to_dict() for ln in self.lines]
        return d


class LinesIn(Body):
    lines: list[LineIn]


class ConfirmIn(Body):
    confirmed_fields: list[StrictStr] = []


class SendIn(Body):
    method: Literal["ach", "wire", "check"] | None = None


class VoidIn(Body):
    reason: StrictStr | None = None


class Address(Body):
    line1: StrictStr | None = None
    line2: StrictStr | None = None
    city: StrictStr | None = None
    state: StrictStr | None = None
    postal_code: StrictStr | None = None
    country: StrictStr | None = None


class VendorIn(Body):
    name: StrictStr | None = None
    email: StrictStr | None = None
    tax_id: StrictStr | None = None
    address: Address | None = None
    default_terms: StrictStr | None = None
    default_currency: StrictStr | None = None
    accounting_vendor_id: StrictStr | None = None
    active: StrictBool = None  # type: ignore[assignment]  # leave out to keep; null is refused
    routing_number: StrictStr | None = None
    account_number: StrictStr | None = None
    iban: StrictStr | None = None
    bic: StrictStr | None = None

    def to_dict(self) -> dict:
        d = self.model_dump(exclude_unset=True)
        if self.address is not None:
            d["address"] = self.address.model_dump(exclude_none=True)
        return d


class RuleConditions(Body):
    vendor_ids: list[StrictStr] | None = None
    sender_contains: StrictStr | None = None
    amount_min: Amount | None = None
    amount_max: Amount | None = None
    currency: StrictStr | None = None
    text_contains: StrictStr | None = None
    line_description_contains: StrictStr | None = None


class RuleIn(Body):  # leave a field out to keep it; null is refused
    name: StrictStr = None  # type: ignore[assignment]
    priority: StrictInt = None  # type: ignore[assignment]
    conditions: RuleConditions | None = None
    attributes: Attributes | None = None
    active: StrictBool = None  # type: ignore[assignment]  # leave out to keep; null is refused

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.model_dump(exclude_unset=True).items() if k not in ("conditions", "attributes")}
        if self.conditions is not None:
            d["conditions"] = self.conditions.model_dump(exclude_none=True)
        if self.attributes is not None:
            d["attributes"] = attrs_dict(self.attributes)
        return d


class ApplyRulesIn(Body):
    bill_ids: list[StrictStr]
    dry_run: StrictBool = True
    overwrite_manual: StrictBool = False


class PaymentPatch(Body):
    method: Literal["ach", "wire", "check"] | None = None
    pay_date: StrictStr | None = None
    amount: Amount | None = None


class ScheduleIn(Body):
    pay_date: StrictStr
    method: Literal["ach", "wire", "check"]


class ReasonIn(Body):
    reason: StrictStr | None = None


class SettingsPatch(Body):
    automated_bill_splitting: StrictBool | None = None
    pull_bills_enabled: StrictBool | None = None
    pull_start_date: StrictStr | None = None
    auto_sync_payments: StrictBool | None = None
    timezone: StrictStr | None = None
    payment_release_hour: StrictInt | None = None
    sandbox_bank_settle_days: StrictInt | None = None
    payment_rail: Literal["sandbox_bank", "nacha_file", "pain001_file"] | None = None
    originator: "Originator | None" = None


class Originator(Body):
    company_name: StrictStr
    company_id: StrictStr = ""
    odfi_routing: StrictStr
    account_number: StrictStr = ""
    iban: StrictStr | None = None
    bic: StrictStr | None = None
    bank_name: StrictStr = ""


class UserIn(Body):
    email: StrictStr
    name: StrictStr = ""
    roles: list[StrictStr]
    password: StrictStr | None = None


class UserPatch(Body):  # leave a field out to keep it; null is refused
    name: StrictStr = None  # type: ignore[assignment]
    roles: list[StrictStr] = None  # type: ignore[assignment]
    active: StrictBool = None  # type: ignore[assignment]  # leave out to keep; null is refused
    password: StrictStr | None = None


class SettleIn(Body):
    payment_id: StrictStr
    outcome: Literal["settled", "returned"]
    return_code: StrictStr | None = None
