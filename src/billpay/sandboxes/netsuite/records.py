"""Record types, their fields, and the JSON they read and write as (REST record service v1).

Field names follow the REST API Browser (``vendorBill``: ``entity``, ``tranId``,
``tranDate``, ``expense`` …). Record-type names and field names are matched
case-insensitively (Oracle's own samples write ``vendorbill`` and
``approvalstatus``). References are written ``{"id": "12"}``, ``{"externalId":
"x"}`` or a bare id, and read back as ``{"links", "id", "refName"}``; enumerations
are accepted as ``2``, ``"2"`` or ``{"id": "2"}``; sublists are ``{"items": [...]}``.

Records are stored with canonical names, references as internal ids, money as
``Decimal`` and dates as ISO text; ``render`` turns one into the API's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from . import errors

# kind: "str" | "bool" | "int" | "money" | "rate" | "date" | "enum" | "ref:<type>" | "sublist:<line type>"
Schema = dict[str, str]

LINE_SCHEMAS: dict[str, Schema] = {
    "vendorBill.expense": {"line": "int", "account": "ref:account", "amount": "money", "memo": "str",
                           "department": "ref:department", "class": "ref:classification",
                           "location": "ref:location", "isBillable": "bool", "customer": "str"},
    "vendorPayment.apply": {"line": "int", "doc": "ref:vendorBill", "apply": "bool", "amount": "money",
                            "due": "money", "total": "money", "refNum": "str", "applyDate": "date", "type": "str"},
}
_COMMON = {"externalId": "str"}
SCHEMAS: dict[str, Schema] = {
    "vendor": {**_COMMON, "entityId": "str", "companyName": "str", "email": "str", "phone": "str",
               "isInactive": "bool", "subsidiary": "ref:subsidiary", "currency": "ref:currency",
               "terms": "ref:term", "legalName": "str", "isPerson": "bool"},
    "account": {**_COMMON, "acctNumber": "str", "acctName": "str", "acctType": "enum", "isInactive": "bool",
                "currency": "ref:currency", "subsidiary": "ref:subsidiary", "description": "str"},
    "department": {**_COMMON, "name": "str", "isInactive": "bool", "subsidiary": "ref:subsidiary"},
    "classification": {**_COMMON, "name": "str", "isInactive": "bool", "subsidiary": "ref:subsidiary"},
    "location": {**_COMMON, "name": "str", "isInactive": "bool", "subsidiary": "ref:subsidiary"},
    "subsidiary": {**_COMMON, "name": "str", "isInactive": "bool", "currency": "ref:currency", "country": "str"},
    "term": {**_COMMON, "name": "str", "isInactive": "bool", "daysUntilNetDue": "int"},
    "currency": {**_COMMON, "name": "str", "symbol": "str", "isInactive": "bool", "isBaseCurrency": "bool",
                 "exchangeRate": "rate"},
    "vendorBill": {**_COMMON, "entity": "ref:vendor", "subsidiary": "ref:subsidiary", "tranId": "str",
                   "tranDate": "date", "dueDate": "date", "terms": "ref:term", "currency": "ref:currency",
                   "exchangeRate": "rate", "memo": "str", "approvalStatus": "enum", "account": "ref:account",
                   "department": "ref:department", "class": "ref:classification", "location": "ref:location",
                   "postingPeriod": "str", "expense": "sublist:vendorBill.expense"},
    "vendorPayment": {**_COMMON, "entity": "ref:vendor", "account": "ref:account", "apAcct": "ref:account",
                      "currency": "ref:currency", "exchangeRate": "rate", "tranDate": "date", "tranId": "str",
                      "memo": "str", "subsidiary": "ref:subsidiary", "department": "ref:department",
                      "class": "ref:classification", "location": "ref:location", "toBePrinted": "bool",
                      "postingPeriod": "str", "apply": "sublist:vendorPayment.apply"},
}
#: Fields the server computes; accepted in a body (a record read and sent back) but never written.
READ_ONLY = {"id", "links", "refName", "total", "userTotal", "amountRemaining", "amountPaid", "balance",
             "status", "createdDate", "lastModifiedDate", "transactionNumber", "unapplied", "dateCreated"}
TYPES = {name.lower(): name for name in SCHEMAS}
TRANSACTIONS = ("vendorBill", "vendorPayment")
_LOWER = {rtype: {f.lower(): f for f in schema} for rtype, schema in SCHEMAS.items()}
_LOWER.update({key: {f.lower(): f for f in schema} for key, schema in LINE_SCHEMAS.items()})
_READ_ONLY_LOWER = {f.lower() for f in READ_ONLY}

BILL_STATUS = {"A": "Open", "B": "Paid In Full", "D": "Pending Approval", "E": "Rejected"}
PAYMENT_STATUS = {"A": "Online Bill Pay Pending Accounting Approval", "V": "Voided", "Z": "Deposited"}
APPROVAL_STATUS = {"1": "Pending Approval", "2": "Approved", "3": "Rejected"}
ACCOUNT_TYPES = {"AcctPay": "Accounts Payable", "Bank": "Bank", "Expense": "Expense",
                 "OthCurrLiab": "Other Current Liability", "COGS": "Cost of Goods Sold",
                 "OthExpense": "Other Expense", "CredCard": "Credit Card"}


def record_type(name: str) -> str:
    canonical = TYPES.get(name.lower())
    if canonical is None:
        raise errors.record_type_unknown(name)
    return canonical


Resolver = Callable[[str, dict], str]  # (record type, {"id"|"externalId": ...}) -> internal id


@dataclass
class Body:
    """A normalized write body: canonical fields; ``None`` means "clear this field"."""

    fields: dict[str, Any]
    unknown: list[str]


def normalize(rtype: str, data: Any, resolve: Resolver, *, path: str = "") -> Body:
    if not isinstance(data, dict):
        raise errors.invalid_content("The request body must be a JSON object.")
    schema_key = rtype
    schema = SCHEMAS.get(rtype) or LINE_SCHEMAS[rtype]
    fields: dict[str, Any] = {}
    unknown: list[str] = []
    for raw_name, value in data.items():
        lowered = str(raw_name).lower()
        name = _LOWER[schema_key].get(lowered)
        if name is None:
            if lowered not in _READ_ONLY_LOWER:
                unknown.append(f"{path}{raw_name}")
            continue
        kind = schema[name]
        where = f"{path}{name}"
        if value is None:
            fields[name] = None
        elif kind.startswith("sublist:"):
            fields[name] = _sublist(kind.split(":", 1)[1], value, resolve, where, unknown)
        else:
            fields[name] = _scalar(kind, name, value, resolve, where)
    return Body(fields, unknown)


def _sublist(line_type: str, value: Any, resolve: Resolver, where: str, unknown: list[str]) -> list[dict] | None:
    if isinstance(value, dict) and "items" in value:
        items = value["items"]
    elif isinstance(value, list):
        items = value
    else:
        raise errors.invalid_content(f"The sublist {where} must be written as {{\"items\": [...]}}.", path=where)
    if items is None:
        return None
    if not isinstance(items, list):
        raise errors.invalid_content(f"{where}.items must be an array.", path=f"{where}.items")
    lines = []
    for index, item in enumerate(items):
        body = normalize(line_type, item, resolve, path=f"{where}.items[{index}].")
        unknown.extend(body.unknown)
        lines.append({k: v for k, v in body.fields.items() if v is not None})
    return lines


def _scalar(kind: str, name: str, value: Any, resolve: Resolver, where: str) -> Any:
    if kind.startswith("ref:"):
        target = kind.split(":", 1)[1]
        ref = value if isinstance(value, dict) else {"id": value}
        if not isinstance(ref, dict) or not (ref.get("id") not in (None, "") or ref.get("externalId")):
            raise errors.invalid_value(name, value, path=where)
        return resolve(target, ref) if ref.get("id") in (None, "") else _id_text(ref["id"], name, where, resolve,
                                                                                  target)
    if kind == "enum":
        raw = value.get("id") if isinstance(value, dict) else value
        if raw in (None, ""):
            raise errors.invalid_value(name, value, path=where)
        return str(raw)
    if kind in ("money", "rate"):
        try:
            amount = Decimal(str(value)) if not isinstance(value, (bool, dict, list)) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            raise errors.invalid_value(name, value, path=where)
        return amount
    if kind == "date":
        try:
            return date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            raise errors.invalid_value(name, value, path=where) from None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "t"):
            return True
        if str(value).lower() in ("false", "f"):
            return False
        raise errors.invalid_value(name, value, path=where)
    if kind == "int":
        try:
            return int(str(value))
        except ValueError:
            raise errors.invalid_value(name, value, path=where) from None
    if isinstance(value, (dict, list)):
        raise errors.invalid_value(name, value, path=where)
    return str(value)


def _id_text(value: Any, name: str, where: str, resolve: Resolver, target: str) -> str:
    text = str(value).strip()
    if text.lower().startswith("eid:"):
        return resolve(target, {"externalId": text[4:]})
    if not text.lstrip("-").isdigit():
        raise errors.invalid_value(name, value, path=where)
    return text


# --- rendering --------------------------------------------------------------------------------------


class Renderer:
    """Turns stored records into REST JSON; ``names`` gives a referenced record's ``refName``."""

    def __init__(self, base: str, names: Callable[[str, str], str | None]) -> None:
        self.base, self.names = base.rstrip("/"), names

    def href(self, rtype: str, rid: str, *rest: str) -> str:
        return "/".join([f"{self.base}/services/rest/record/v1/{rtype.lower()}", rid, *rest])

    def ref(self, rtype: str, rid: str) -> dict:
        out: dict[str, Any] = {"links": [{"rel": "self", "href": self.href(rtype, rid)}], "id": rid}
        name = self.names(rtype, rid)
        if name is not None:
            out["refName"] = name
        return out

    def record(self, rtype: str, record: dict, *, expand: bool = False, fields: set[str] | None = None) -> dict:
        rid = record["id"]
        out: dict[str, Any] = {"links": [{"rel": "self", "href": self.href(rtype, rid)}]}
        schema = SCHEMAS[rtype]
        for name, value in record.items():
            if fields is not None and name.lower() not in fields and name != "id":
                continue
            kind = schema.get(name, "")
            if kind.startswith("sublist:"):
                line_type = kind.split(":", 1)[1]
                href = self.href(rtype, rid, name)
                if expand:
                    items = [self.line(line_type, line) for line in value]
                    out[name] = {"links": [{"rel": "self", "href": href}], "items": items, "count": len(items),
                                 "hasMore": False, "offset": 0, "totalResults": len(items)}
                else:
                    out[name] = {"links": [{"rel": "self", "href": href}]}
            else:
                out[name] = self.value(kind, name, value)
        return out

    def line(self, line_type: str, line: dict) -> dict:
        schema = LINE_SCHEMAS[line_type]
        return {name: self.value(schema.get(name, ""), name, value) for name, value in line.items()}

    def value(self, kind: str, name: str, value: Any) -> Any:
        if value is None:
            return None
        if kind.startswith("ref:"):
            return self.ref(kind.split(":", 1)[1], value)
        if name == "approvalStatus":
            return {"id": value, "refName": APPROVAL_STATUS.get(value, value)}
        if name == "status":
            return {"id": value, "refName": BILL_STATUS.get(value) or PAYMENT_STATUS.get(value, value)}
        if name == "acctType":
            return {"id": value, "refName": ACCOUNT_TYPES.get(value, value)}
        if isinstance(value, datetime):
            return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return value
