"""Name lists: Vendor, Account, Class, Department and Term.

Names are unique (case-insensitive); making a name inactive appends
" (deleted)" to it, as QuickBooks does, which frees the name for reuse.
"""

from __future__ import annotations

from . import errors
from .company import DELETED_SUFFIX, mask_tax_id
from .fields import (
    ZERO,
    WriteContext,
    currency_ref,
    max_length,
    money,
    ref_id,
    ref_to,
    resolve,
)

ACCOUNT_TYPES = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}
SUBTYPE_TO_TYPE = {
    "Checking": "Bank",
    "Savings": "Bank",
    "AccountsPayable": "Accounts Payable",
    "CreditCard": "Credit Card",
    "OtherMiscellaneousServiceCost": "Expense",
}


def _name_list_active(fields: dict, name_key: str) -> None:
    """Inactive names get " (deleted)" appended, as in QuickBooks; reactivation removes it."""
    active = fields.get("Active", True)
    if not isinstance(active, bool):
        active = str(active).lower() == "true"
    fields["Active"] = active
    name = fields.get(name_key, "")
    if not active and name and not name.endswith(DELETED_SUFFIX):
        fields[name_key] = name + DELETED_SUFFIX
    elif active and name.endswith(DELETED_SUFFIX):
        fields[name_key] = name[: -len(DELETED_SUFFIX)]


def _unique(ctx: WriteContext, entity: str, key: str, value: str, own_id: str | None, kind: str) -> None:
    wanted = value.strip().lower()
    for other in ctx.company.values(entity):
        if other["Id"] != own_id and str(other.get(key, "")).strip().lower() == wanted:
            raise errors.duplicate_name(kind)


def _check_name(value: str) -> None:
    if not value.strip() or any(ch in value for ch in ":\t\n"):
        raise errors.business_validation(
            "Names must have at least one character and cannot include tabs, newlines or ':'."
        )


def prepare_vendor(ctx: WriteContext, fields: dict, existing: dict | None) -> dict:
    fields.pop("Balance", None)
    if (
        existing
        and existing.get("TaxIdentifier")
        and fields.get("TaxIdentifier") == mask_tax_id(existing["TaxIdentifier"])
    ):
        fields["TaxIdentifier"] = existing["TaxIdentifier"]  # the masked value read back: keep the real one
    if not fields.get("DisplayName"):
        parts = [fields.get(k, "") for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
        derived = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
        fields["DisplayName"] = derived or str(fields.get("CompanyName", "")).strip()
    if not fields["DisplayName"]:
        raise errors.no_name_provided()
    _name_list_active(fields, "DisplayName")
    _check_name(fields["DisplayName"].removesuffix(DELETED_SUFFIX))
    max_length(fields, "DisplayName", 500)
    max_length(fields, "CompanyName", 100)
    max_length(fields, "AcctNum", 100)
    _unique(
        ctx,
        "Vendor",
        "DisplayName",
        fields["DisplayName"],
        existing and existing["Id"],
        "customer, vendor or employee",
    )
    fields.setdefault("PrintOnCheckName", fields["DisplayName"].removesuffix(DELETED_SUFFIX))
    fields.setdefault("Vendor1099", False)
    if existing is not None and existing.get("CurrencyRef"):
        fields["CurrencyRef"] = existing["CurrencyRef"]  # read-only after create
    fields["CurrencyRef"] = currency_ref(ctx, fields)
    if fields.get("TermRef"):
        fields["TermRef"] = ref_to("Term", resolve(ctx, "Term", fields["TermRef"], "TermRef"))
    if fields.get("APAccountRef"):
        fields["APAccountRef"] = ref_to(
            "Account", resolve(ctx, "Account", fields["APAccountRef"], "APAccountRef")
        )
    return fields


def prepare_account(ctx: WriteContext, fields: dict, existing: dict | None) -> dict:
    if not fields.get("Name"):
        raise errors.required_param("Name", element="Name")
    account_type = fields.get("AccountType")
    subtype = fields.get("AccountSubType")
    if not account_type:
        if not subtype:
            raise errors.invalid_account_type()
        account_type = SUBTYPE_TO_TYPE.get(subtype, "Expense")
    if account_type not in ACCOUNT_TYPES:
        raise errors.invalid_enumeration(account_type, element="AccountType")
    fields["AccountType"] = account_type
    fields["Classification"] = ACCOUNT_TYPES[account_type]
    _name_list_active(fields, "Name")
    _check_name(fields["Name"].removesuffix(DELETED_SUFFIX))
    max_length(fields, "Name", 100)
    _hierarchy(ctx, "Account", fields, "SubAccount")
    _unique(
        ctx,
        "Account",
        "FullyQualifiedName",
        fields["FullyQualifiedName"],
        existing and existing["Id"],
        "account",
    )
    fields["CurrentBalance"] = existing.get("CurrentBalance", ZERO) if existing else ZERO
    fields["CurrentBalanceWithSubAccounts"] = fields["CurrentBalance"]
    fields["CurrencyRef"] = currency_ref(ctx, fields)
    return fields


def _hierarchy(ctx: WriteContext, entity: str, fields: dict, sub_flag: str) -> None:
    parent_id = ref_id(fields.get("ParentRef"))
    if parent_id:
        parent = resolve(ctx, entity, fields["ParentRef"], "ParentRef")
        fields["ParentRef"] = {"value": parent["Id"]}
        fields[sub_flag] = True
        fields["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{fields['Name']}"
    else:
        fields.pop("ParentRef", None)
        fields[sub_flag] = False
        fields["FullyQualifiedName"] = fields["Name"]


def prepare_class(ctx: WriteContext, fields: dict, existing: dict | None) -> dict:
    return _prepare_tracking(ctx, "Class", "SubClass", fields, existing)


def prepare_department(ctx: WriteContext, fields: dict, existing: dict | None) -> dict:
    return _prepare_tracking(ctx, "Department", "SubDepartment", fields, existing)


def _prepare_tracking(
    ctx: WriteContext, entity: str, sub_flag: str, fields: dict, existing: dict | None
) -> dict:
    if not fields.get("Name"):
        raise errors.required_param("Name", element="Name")
    _name_list_active(fields, "Name")
    _check_name(fields["Name"].removesuffix(DELETED_SUFFIX))
    max_length(fields, "Name", 100)
    _hierarchy(ctx, entity, fields, sub_flag)
    kind = "class" if entity == "Class" else "location"
    _unique(
        ctx, entity, "FullyQualifiedName", fields["FullyQualifiedName"], existing and existing["Id"], kind
    )
    return fields


def prepare_term(ctx: WriteContext, fields: dict, existing: dict | None) -> dict:
    if not fields.get("Name"):
        raise errors.required_param("Name", element="Name")
    max_length(fields, "Name", 31)
    _unique(ctx, "Term", "Name", fields["Name"], existing and existing["Id"], "term")
    fields["Active"] = bool(fields.get("Active", True))
    for key in ("DueDays", "DiscountDays", "DayOfMonthDue", "DueNextMonthDays", "DiscountDayOfMonth"):
        if key in fields:
            try:
                fields[key] = int(fields[key])
            except (TypeError, ValueError):
                raise errors.invalid_property(key, element=key) from None
    fields["Type"] = "STANDARD" if "DueDays" in fields else "DATE_DRIVEN"
    fields["DiscountPercent"] = money(fields.get("DiscountPercent", ZERO), "DiscountPercent")
    if fields["Type"] == "STANDARD":
        fields.setdefault("DiscountDays", 0)
    return fields
