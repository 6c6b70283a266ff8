"""The entity types the sandbox serves: field names, EDM types, lengths, what is editable.

Field lists follow the AL API pages of ``microsoft/BCApps`` (``Apps/W1/APIV2/app/src/pages``) and
the v2.0 resource pages of the Business Central docs. ``Code`` fields are upper-cased on write,
as BC does; ``Text`` and ``Code`` lengths are enforced (``Application_StringExceededLength``);
read-only fields in a request body are refused (``BadRequest_InvalidOperation``), except
``id`` on create, which BC accepts and ignores when it is empty.

``Entity.navigations`` maps a navigation name (``purchaseInvoiceLines``) to the entity set it
leads to; the parent link is the child's ``parent_field``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from . import errors

GUID, STRING, CODE, DATE, DATETIME, DECIMAL, INT, BOOL, ENUM = (
    "Edm.Guid", "Edm.String", "code", "Edm.Date", "Edm.DateTimeOffset", "Edm.Decimal", "Edm.Int32",
    "Edm.Boolean", "enum",
)
EMPTY_GUID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    length: int | None = None
    read_only: bool = False
    values: tuple[str, ...] = ()
    caption: str = ""

    @property
    def edm(self) -> str:
        if self.type == CODE:
            return STRING
        if self.type == ENUM:
            return "Microsoft.NAV." + self.name
        return self.type


@dataclass(frozen=True)
class Entity:
    set_name: str
    type_name: str
    fields: dict[str, Field]
    navigations: dict[str, str] = field(default_factory=dict)
    #: The field of a child record that holds its parent's id (``documentId``, ``journalId``).
    parent_field: str | None = None
    #: Bound actions (``post``, ``cancel``).
    actions: tuple[str, ...] = ()
    writable: bool = True

    def require(self, name: str) -> Field:
        found = self.fields.get(name)
        if found is None:
            raise errors.unknown_property(name, self.type_name)
        return found


def _f(spec: str) -> Field:
    """``"name:type[:length][:ro]"``, e.g. ``"number:code:20:ro"``; enums as ``"status:enum=Draft|Open:ro"``."""
    parts = spec.split(":")
    name, kind = parts[0], parts[1]
    length, ro, values = None, False, ()
    for extra in parts[2:]:
        if extra == "ro":
            ro = True
        elif extra.isdigit():
            length = int(extra)
    if kind.startswith("enum="):
        values = tuple(kind[5:].split("|"))
        kind = ENUM
    types = {"guid": GUID, "str": STRING, "code": CODE, "date": DATE, "dt": DATETIME, "dec": DECIMAL,
             "int": INT, "bool": BOOL}
    return Field(name, types.get(kind, kind), length, ro, values, caption=name)


def _entity(set_name: str, type_name: str, specs: str, **kw: Any) -> Entity:
    fields = {f.name: f for f in (_f(s) for s in specs.split())}
    return Entity(set_name, type_name, fields, **kw)


_LINE_FIELDS = (
    "id:guid:ro documentId:guid sequence:int itemId:guid accountId:guid "
    "lineType:enum=Comment|Account|Item|Resource|Fixed_x0020_Asset|Charge "
    "lineObjectNumber:code:20 description:str:100 description2:str:50 unitOfMeasureId:guid "
    "unitOfMeasureCode:code:10 unitCost:dec quantity:dec discountAmount:dec discountPercent:dec "
    "discountAppliedBeforeTax:bool:ro amountExcludingTax:dec:ro taxCode:code:20 taxPercent:dec:ro "
    "totalTaxAmount:dec:ro amountIncludingTax:dec:ro invoiceDiscountAllocation:dec:ro netAmount:dec:ro "
    "netTaxAmount:dec:ro netAmountIncludingTax:dec:ro itemVariantId:guid locationId:guid"
)

ENTITIES: dict[str, Entity] = {e.set_name: e for e in (
    _entity("companies", "company",
            "id:guid:ro systemVersion:str:ro timestamp:int:ro name:str:30:ro displayName:str:250:ro "
            "businessProfileId:str:250:ro systemCreatedAt:dt:ro systemCreatedBy:guid:ro systemModifiedAt:dt:ro "
            "systemModifiedBy:guid:ro", writable=False),
    _entity("companyInformation", "companyInformation",
            "id:guid:ro displayName:str:100 addressLine1:str:100 addressLine2:str:50 city:str:30 state:str:30 "
            "country:code:10 postalCode:code:20 phoneNumber:str:30 faxNumber:str:30 email:str:80 website:str:80 "
            "taxRegistrationNumber:str:20 currencyCode:code:10:ro currentFiscalYearStartDate:date:ro "
            "industry:str:30 lastModifiedDateTime:dt:ro", writable=False),
    _entity("vendors", "vendor",
            "id:guid:ro number:code:20 displayName:str:100 addressLine1:str:100 addressLine2:str:50 city:str:30 "
            "state:str:30 country:code:10 postalCode:code:20 phoneNumber:str:30 email:str:80 website:str:80 "
            "taxRegistrationNumber:str:20 currencyId:guid currencyCode:code:10 irs1099Code:code:10 "
            "paymentTermsId:guid paymentMethodId:guid taxLiable:bool blocked:enum=_x0020_|Payment|All "
            "balance:dec:ro lastModifiedDateTime:dt:ro"),
    _entity("accounts", "account",
            "id:guid:ro number:code:20:ro displayName:str:100:ro "
            "category:enum=_x0020_|Assets|Liabilities|Equity|Income|Cost_x0020_of_x0020_Goods_x0020_Sold|Expense:ro "
            "subCategory:str:80:ro blocked:bool:ro "
            "accountType:enum=Posting|Heading|Total|Begin-Total|End-Total:ro directPosting:bool:ro "
            "netChange:dec:ro lastModifiedDateTime:dt:ro", writable=False),
    _entity("dimensions", "dimension", "id:guid:ro code:code:20:ro displayName:str:30:ro lastModifiedDateTime:dt:ro",
            navigations={"dimensionValues": "dimensionValues"}, writable=False),
    _entity("dimensionValues", "dimensionValue",
            "id:guid:ro code:code:20:ro dimensionId:guid:ro displayName:str:50:ro consolidationCode:code:20:ro "
            "lastModifiedDateTime:dt:ro", parent_field="dimensionId", writable=False),
    _entity("paymentTerms", "paymentTerm",
            "id:guid:ro code:code:10 displayName:str:100 dueDateCalculation:str:32 discountDateCalculation:str:32 "
            "discountPercent:dec calculateDiscountOnCreditMemos:bool lastModifiedDateTime:dt:ro"),
    _entity("currencies", "currency",
            "id:guid:ro code:code:10 displayName:str:30 symbol:str:10 amountDecimalPlaces:str:5 "
            "amountRoundingPrecision:dec lastModifiedDateTime:dt:ro"),
    _entity("bankAccounts", "bankAccount",
            "id:guid:ro number:code:20 displayName:str:100 bankAccountNumber:str:30 blocked:bool "
            "currencyCode:code:10 currencyId:guid iban:code:50 intercompanyEnabled:bool lastModifiedDateTime:dt:ro"),
    _entity("purchaseInvoices", "purchaseInvoice",
            "id:guid:ro number:code:20:ro postingDate:date invoiceDate:date dueDate:date vendorInvoiceNumber:code:35 "
            "vendorId:guid vendorNumber:code:20 vendorName:str:100:ro payToName:str:100:ro payToContact:str:100 "
            "payToVendorId:guid payToVendorNumber:code:20 shipToName:str:100 shipToContact:str:100 "
            "buyFromAddressLine1:str:100 buyFromAddressLine2:str:50 buyFromCity:str:30 buyFromCountry:code:10 "
            "buyFromState:str:30 buyFromPostCode:code:20 shortcutDimension1Code:code:20 "
            "shortcutDimension2Code:code:20 currencyId:guid currencyCode:code:10 orderId:guid:ro "
            "orderNumber:code:20:ro purchaser:code:20 pricesIncludeTax:bool discountAmount:dec "
            "discountAppliedBeforeTax:bool:ro totalAmountExcludingTax:dec:ro totalTaxAmount:dec:ro "
            "totalAmountIncludingTax:dec:ro "
            "status:enum=_x0020_|Draft|In_x0020_Review|Open|Paid|Canceled|Corrective:ro lastModifiedDateTime:dt:ro",
            navigations={"purchaseInvoiceLines": "purchaseInvoiceLines", "dimensionSetLines": "dimensionSetLines"},
            actions=("post",)),
    _entity("purchaseInvoiceLines", "purchaseInvoiceLine", _LINE_FIELDS + " expectedReceiptDate:date",
            navigations={"dimensionSetLines": "dimensionSetLines"}, parent_field="documentId"),
    _entity("purchaseCreditMemos", "purchaseCreditMemo",
            "id:guid:ro number:code:20:ro creditMemoDate:date postingDate:date dueDate:date vendorId:guid "
            "vendorNumber:code:20 vendorName:str:100:ro payToName:str:100:ro currencyId:guid currencyCode:code:10 "
            "invoiceId:guid invoiceNumber:code:20 pricesIncludeTax:bool totalAmountExcludingTax:dec:ro "
            "totalTaxAmount:dec:ro totalAmountIncludingTax:dec:ro "
            "status:enum=Draft|In_x0020_Review|Open|Paid|Canceled|Corrective:ro lastModifiedDateTime:dt:ro",
            navigations={"purchaseCreditMemoLines": "purchaseCreditMemoLines",
                         "dimensionSetLines": "dimensionSetLines"},
            actions=("post", "cancel")),
    _entity("purchaseCreditMemoLines", "purchaseCreditMemoLine", _LINE_FIELDS,
            navigations={"dimensionSetLines": "dimensionSetLines"}, parent_field="documentId"),
    _entity("dimensionSetLines", "dimensionSetLine",
            "id:guid code:code:20 consolidationCode:code:20:ro parentId:guid:ro parentType:str:ro "
            "displayName:str:30:ro valueId:guid valueCode:code:20 valueConsolidationCode:code:20:ro "
            "valueDisplayName:str:50:ro", parent_field="parentId"),
    _entity("vendorPaymentJournals", "vendorPaymentJournal",
            "id:guid:ro code:code:10 displayName:str:100 balancingAccountId:guid balancingAccountNumber:code:20:ro "
            "lastModifiedDateTime:dt:ro", navigations={"vendorPayments": "vendorPayments"}),
    _entity("journals", "journal",
            "id:guid:ro code:code:10 displayName:str:100 templateDisplayName:str:10:ro "
            "balancingAccountId:guid balancingAccountNumber:code:20:ro lastModifiedDateTime:dt:ro",
            actions=("post",)),
    _entity("vendorPayments", "vendorPayment",
            "id:guid:ro journalId:guid journalDisplayName:code:10:ro lineNumber:int vendorId:guid "
            "vendorNumber:code:20 postingDate:date documentNumber:code:20 externalDocumentNumber:code:35 "
            "amount:dec appliesToInvoiceId:guid appliesToInvoiceNumber:code:20 description:str:100 "
            "comment:str:250 lastModifiedDateTime:dt:ro",
            navigations={"dimensionSetLines": "dimensionSetLines"}, parent_field="journalId"),
    _entity("generalLedgerEntries", "generalLedgerEntry",
            "id:guid:ro entryNumber:int:ro postingDate:date:ro documentNumber:code:20:ro "
            "documentType:enum=_x0020_|Payment|Invoice|Credit_x0020_Memo:ro externalDocumentNumber:code:35:ro "
            "accountId:guid:ro accountNumber:code:20:ro description:str:100:ro debitAmount:dec:ro "
            "creditAmount:dec:ro lastModifiedDateTime:dt:ro", writable=False),
)}

#: Enum values as JSON shows them (``"_x0020_"`` is how the EDM names a blank or a space).
def enum_wire(value: str) -> str:
    return value.replace("_x0020_", " ")


def enum_values(f: Field) -> tuple[str, ...]:
    return tuple(enum_wire(v) for v in f.values)


# -- reading request bodies --------------------------------------------------------------------


def coerce(entity: Entity, name: str, value: Any, *, creating: bool) -> Any:
    """One property of a request body as a typed value; raises BC's error for a wrong value."""
    f = entity.require(name)
    if f.read_only and not (creating and name == "id"):
        raise errors.read_only(f.caption)
    if value is None:
        if f.type in (STRING, CODE):
            return ""
        if f.type == GUID:
            return EMPTY_GUID
        raise errors.wrong_type("null", f.edm)
    if f.type in (STRING, CODE):
        if not isinstance(value, str):
            raise errors.wrong_type(value, f.edm)
        text = value.upper() if f.type == CODE else value
        if "\x00" in text:
            raise errors.wrong_type(text.replace("\x00", "\\u0000"), f.edm)
        if f.length is not None and len(text) > f.length:
            raise errors.string_too_long(text, f.length)
        return text
    if f.type == GUID:
        return parse_guid(value)
    if f.type == DATE:
        if not isinstance(value, str):
            raise errors.wrong_type(value, f.edm)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise errors.wrong_type(value, f.edm) from None
    if f.type == DECIMAL:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise errors.wrong_type(value, f.edm)  # strings and floats are refused: JSON numbers only
        return Decimal(value)
    if f.type == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise errors.wrong_type(value, f.edm)
        return value
    if f.type == BOOL:
        if not isinstance(value, bool):
            raise errors.wrong_type(value, f.edm)
        return value
    if f.type == ENUM:
        allowed = enum_values(f)
        if not isinstance(value, str) or value not in allowed:
            raise errors.dialog(f"'{value}' is not an option. The existing options are: {','.join(allowed)}")
        return value
    raise errors.wrong_type(value, f.edm)


def parse_guid(value: Any) -> str:
    text = str(value).strip().strip("{}").lower()
    parts = text.split("-")
    if [len(p) for p in parts] != [8, 4, 4, 4, 12] or any(c not in "0123456789abcdef" for c in text.replace("-", "")):
        raise errors.invalid_guid(value)
    return text


# -- writing responses -----------------------------------------------------------------------


def wire_value(f: Field, value: Any) -> Any:
    if value is None:
        if f.type in (STRING, CODE, ENUM):
            return ""
        if f.type == GUID:
            return EMPTY_GUID
        if f.type == DATE:
            return "0001-01-01"
        if f.type == DATETIME:
            return "0001-01-01T00:00:00Z"
        if f.type == DECIMAL:
            return Decimal(0)
        if f.type == INT:
            return 0
        if f.type == BOOL:
            return False
    if f.type == DATETIME and isinstance(value, datetime):
        return format_datetime(value)
    if f.type == DATE and isinstance(value, date):
        return value.isoformat()
    return value


def format_datetime(value: datetime) -> str:
    """``2024-05-01T10:11:12.123Z`` (UTC, milliseconds), as BC writes ``lastModifiedDateTime``."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    ms = value.microsecond // 1000
    return f"{text}.{ms:03d}Z" if ms else f"{text}Z"
