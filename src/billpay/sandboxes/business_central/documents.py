"""Purchase invoices and purchase credit memos while they are drafts: headers, lines, dimensions.

The rules and error texts follow the AL API pages (``APIV2PurchaseInvoices``,
``APIV2PurchaseInvoiceLines``, ``APIV2DimensionSetLines``, ``APIV2PurchaseCreditMemos``) and
codeunit 5529 "Purch. Inv. Aggregator":

- a document is created as a **Draft**; ``vendorId`` or ``vendorNumber`` is required; a vendor
  blocked with type *All* cannot get a new document;
- ``postingDate`` defaults to ``invoiceDate``, ``dueDate`` to the vendor's payment terms;
- a line of type ``Account`` names its G/L account by ``accountId`` or ``lineObjectNumber``; the
  account must be a posting account that allows direct posting and is not blocked; a line's type
  and object cannot change afterwards (delete and re-create it);
- a new line starts with the header's dimensions; ``dimensionSetLines`` are created under their
  parent only, once per dimension, and changed with PATCH;
- once posted a document is read-only ("The invoice has been posted and can no longer be modified.").

Totals: ``amountExcludingTax = round(quantity × unitCost − discountAmount, 2)``; the sandbox has
no sales tax, so ``amountIncludingTax`` is the same amount.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import errors
from .company import Company
from .schema import EMPTY_GUID, ENTITIES, coerce

CENT = Decimal("0.01")
DRAFT = "Draft"
PARENT_TYPES = {
    "purchaseInvoices": "Purchase Invoice", "purchaseInvoiceLines": "Purchase Invoice Line",
    "purchaseCreditMemos": "Purchase Credit Memo", "purchaseCreditMemoLines": "Purchase Credit Memo Line",
    "vendorPayments": "Journal Line",
}
LINES_OF = {"purchaseInvoices": "purchaseInvoiceLines", "purchaseCreditMemos": "purchaseCreditMemoLines"}
DOCUMENT_OF = {v: k for k, v in LINES_OF.items()}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def typed_body(entity_set: str, body: Any, *, creating: bool, nested: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """(typed properties, nested deep-insert collections) of a request body."""
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object.")
    entity = ENTITIES[entity_set]
    values: dict[str, Any] = {}
    children: dict[str, Any] = {}
    for name, value in body.items():
        if name.startswith("@odata."):
            continue
        if name in nested:
            if not isinstance(value, list):
                raise errors.bad_request(f"The property '{name}' must be a collection.")
            children[name] = value
            continue
        values[name] = coerce(entity, name, value, creating=creating)
    if creating and values.get("id") in ("", EMPTY_GUID):
        values.pop("id")
    return values, children


# -- vendors, currencies, accounts ---------------------------------------------------------------


def resolve_vendor(c: Company, values: dict, *, current: dict | None = None) -> dict | None:
    vendor_id, number = values.get("vendorId"), values.get("vendorNumber")
    if vendor_id in (None, EMPTY_GUID) and not number:
        return None
    by_id = c.get("vendors", vendor_id) if vendor_id not in (None, EMPTY_GUID) else None
    if vendor_id not in (None, EMPTY_GUID) and by_id is None:
        raise errors.record_not_found("Vendor", f"Id='{vendor_id}'")
    by_number = c.find("vendors", number=number) if number else None
    if number and by_number is None:
        raise errors.record_not_found("Vendor", f"No.='{number}'")
    if by_id is not None and by_number is not None and by_id is not by_number:
        raise errors.dialog("The vendor values do not match to a specific Vendor.")
    return by_id or by_number


def check_not_blocked(vendor: dict, action: str = "create", *, payment: bool = False) -> None:
    blocked = vendor.get("blocked") or " "
    if blocked == "All" or (payment and blocked == "Payment"):
        raise errors.dialog(
            f"You cannot {action} this type of document when Vendor {vendor['number']} is blocked with type {blocked}."
        )


def lcy(c: Company) -> str:
    return c.info.get("currencyCode", "USD")


def resolve_currency(c: Company, values: dict) -> tuple[str, str] | None:
    """(code, id) for ``currencyCode``/``currencyId`` in ``values``; the local currency is ('', empty id)."""
    code, currency_id = values.get("currencyCode"), values.get("currencyId")
    if code is None and currency_id in (None,):
        return None
    if currency_id not in (None, EMPTY_GUID):
        found = c.get("currencies", currency_id)
        if found is None:
            raise errors.record_not_found("Currency", f"Id='{currency_id}'")
        if code not in (None, "", found["code"]):
            raise errors.dialog("The currency values do not match to a specific Currency.")
        return found["code"], found["id"]
    if not code or code == lcy(c):
        return "", EMPTY_GUID
    found = c.find("currencies", code=code)
    if found is None:
        raise errors.record_not_found("Currency", f"Code='{code}'")
    return found["code"], found["id"]


def check_account(account: dict) -> None:
    number = account["number"]
    if account.get("accountType") != "Posting":
        raise errors.field_validation(
            f"Account Type must be equal to 'Posting'  in G/L Account: No.={number}. Current value is "
            f"'{account.get('accountType')}'."
        )
    if account.get("blocked"):
        raise errors.field_validation(
            f"Blocked must be equal to 'No'  in G/L Account: No.={number}. Current value is 'Yes'."
        )
    if not account.get("directPosting"):
        raise errors.field_validation(
            f"Direct Posting must be equal to 'Yes'  in G/L Account: No.={number}. Current value is 'No'."
        )


def due_date_for(c: Company, vendor: dict, invoice_date: date) -> date:
    terms = c.get("paymentTerms", vendor.get("paymentTermsId"))
    formula = (terms or {}).get("dueDateCalculation") or ""
    if formula.endswith("D") and formula[:-1].isdigit():
        return invoice_date + timedelta(days=int(formula[:-1]))
    return invoice_date


# -- documents ---------------------------------------------------------------------------------


def require_draft(doc: dict) -> None:
    if doc.get("status") != DRAFT:
        raise errors.posted_invoice()


def create_document(c: Company, table: str, body: Any, now: datetime, today: date) -> dict:
    """POST purchaseInvoices / purchaseCreditMemos, with deep insert of lines and dimensions."""
    lines_nav = LINES_OF[table]
    values, nested = typed_body(table, body, creating=True, nested=(lines_nav, "dimensionSetLines"))
    vendor = resolve_vendor(c, values)
    if vendor is None:
        raise errors.dialog('A "vendorNumber" or a "vendorID" must be provided.')
    check_not_blocked(vendor)
    doc_date_field = "invoiceDate" if table == "purchaseInvoices" else "creditMemoDate"
    doc_date = values.get(doc_date_field) or today
    record: dict[str, Any] = {
        **values,
        doc_date_field: doc_date,
        "postingDate": values.get("postingDate") or doc_date,
        "dueDate": values.get("dueDate") or due_date_for(c, vendor, doc_date),
        "status": DRAFT,
        "number": str(c.next_number(f"{table}:draft", 1001 if table == "purchaseInvoices" else 5001)),
    }
    _apply_vendor(record, vendor)
    _apply_currency(c, record, values, vendor)
    if table == "purchaseCreditMemos":
        _apply_applies_to_invoice(c, record, values, vendor)
    _zero_totals(record)
    doc = c.insert(table, record, now)
    for dim in nested.get("dimensionSetLines", []):
        create_dimension(c, table, doc, dim, now)
    for line in nested.get(lines_nav, []):
        create_line(c, lines_nav, doc, line, now)
    return doc


def patch_document(c: Company, table: str, doc: dict, body: Any, now: datetime) -> dict:
    require_draft(doc)
    values, _ = typed_body(table, body, creating=False)
    if "vendorId" in values or "vendorNumber" in values:
        vendor = resolve_vendor(c, {k: values.get(k) for k in ("vendorId", "vendorNumber")})
        if vendor is None:
            raise errors.dialog('A "vendorNumber" or a "vendorID" must be provided.')
        check_not_blocked(vendor)
        _apply_vendor(values, vendor)
    if "currencyCode" in values or "currencyId" in values:
        _apply_currency(c, values, values, None)
    if table == "purchaseCreditMemos" and ("invoiceId" in values or "invoiceNumber" in values):
        _apply_applies_to_invoice(c, values, values, c.get("vendors", doc["vendorId"]))
    doc.update(values)
    c.touch(table, doc["_key"], now)
    return doc


def delete_document(c: Company, table: str, doc: dict) -> None:
    require_draft(doc)
    c.delete(table, doc["_key"])


def _apply_vendor(record: dict, vendor: dict) -> None:
    record["vendorId"], record["vendorNumber"] = vendor["id"], vendor["number"]
    record["vendorName"] = vendor["displayName"]
    record["payToVendorId"], record["payToVendorNumber"] = vendor["id"], vendor["number"]
    record["payToName"] = vendor["displayName"]


def _apply_currency(c: Company, record: dict, values: dict, vendor: dict | None) -> None:
    resolved = resolve_currency(c, values)
    if resolved is None and vendor is not None:
        resolved = resolve_currency(c, {"currencyCode": vendor.get("currencyCode") or ""})
    if resolved is not None:
        record["currencyCode"] = resolved[0] or lcy(c)
        record["currencyId"] = resolved[1]


def _apply_applies_to_invoice(c: Company, record: dict, values: dict, vendor: dict | None) -> None:
    invoice_id, number = values.get("invoiceId"), values.get("invoiceNumber")
    if invoice_id in (None, EMPTY_GUID) and not number:
        return
    invoice = c.get("purchaseInvoices", invoice_id) if invoice_id not in (None, EMPTY_GUID) else \
        c.find("purchaseInvoices", number=number, _posted=True)
    if invoice is None or not invoice.get("_posted"):
        raise errors.dialog("The invoice to apply the credit memo to must be a posted invoice.")
    if vendor is not None and invoice["vendorId"] != vendor["id"]:
        raise errors.dialog("The credit memo and the invoice it applies to must be for the same vendor.")
    record["invoiceId"], record["invoiceNumber"] = invoice["id"], invoice["number"]


def _zero_totals(record: dict) -> None:
    for name in ("totalAmountExcludingTax", "totalTaxAmount", "totalAmountIncludingTax", "discountAmount"):
        record.setdefault(name, Decimal(0))


def recompute_totals(c: Company, table: str, doc: dict) -> None:
    lines = c.children(LINES_OF[table], doc["id"])
    total = sum((ln.get("amountExcludingTax") or Decimal(0) for ln in lines), Decimal(0))
    doc["totalAmountExcludingTax"] = money(total)
    doc["totalTaxAmount"] = Decimal("0.00")
    doc["totalAmountIncludingTax"] = money(total)


# -- lines ----------------------------------------------------------------------------------------


def create_line(c: Company, table: str, doc: dict | None, body: Any, now: datetime) -> dict:
    values, nested = typed_body(table, body, creating=True, nested=("dimensionSetLines",))
    if doc is None:
        doc_table = DOCUMENT_OF[table]
        if values.get("documentId") in (None, EMPTY_GUID):
            raise errors.dialog("You must specify an Id or a Document Id to get the lines.")
        doc = c.require(doc_table, values["documentId"])
    doc_table = DOCUMENT_OF[table]
    require_draft(doc)
    siblings = c.children(table, doc["id"])
    sequence = values.get("sequence") or (max((s["sequence"] for s in siblings), default=0) + 10000)
    if any(s["sequence"] == sequence for s in siblings):
        raise errors.BCError(409, "Internal_EntityWithSameKeyExists",
                             f"The Purchase Line already exists. Identification fields and values: Line No.='{sequence}'")
    record = {"documentId": doc["id"], "sequence": sequence, "quantity": Decimal(0), "unitCost": Decimal(0),
              "discountAmount": Decimal(0), "discountPercent": Decimal(0), "taxPercent": Decimal(0)}
    record.update({k: v for k, v in values.items() if k not in ("documentId", "sequence")})
    _resolve_line_object(c, record, values)
    _line_amounts(record)
    line = c.insert(table, record, now)
    for dim in c.children("dimensionSetLines", doc["id"]):
        _insert_dimension(c, table, line, c.get("dimensions", dim["id"]), c.get("dimensionValues", dim["valueId"]), now)
    for dim in nested.get("dimensionSetLines", []):
        upsert_dimension(c, table, line, dim, now)
    recompute_totals(c, doc_table, doc)
    c.touch(doc_table, doc["_key"], now)
    return line


def patch_line(c: Company, table: str, line: dict, body: Any, now: datetime) -> dict:
    doc_table = DOCUMENT_OF[table]
    doc = c.require(doc_table, line["documentId"])
    require_draft(doc)
    values, _ = typed_body(table, body, creating=False)
    for name in ("lineType", "accountId", "lineObjectNumber", "itemId", "sequence", "documentId"):
        if name in values and values[name] != line.get(name):
            raise errors.dialog(
                "You cannot change the type, the object or the position of a line. Delete the line and create a "
                "new one."
            )
    line.update(values)
    _line_amounts(line)
    c.touch(table, line["_key"], now)
    recompute_totals(c, doc_table, doc)
    c.touch(doc_table, doc["_key"], now)
    return line


def delete_line(c: Company, table: str, line: dict, now: datetime) -> None:
    doc_table = DOCUMENT_OF[table]
    doc = c.require(doc_table, line["documentId"])
    require_draft(doc)
    c.delete(table, line["_key"])
    recompute_totals(c, doc_table, doc)
    c.touch(doc_table, doc["_key"], now)


def _resolve_line_object(c: Company, record: dict, values: dict) -> None:
    line_type = values.get("lineType")
    if line_type is None:
        line_type = "Account" if values.get("accountId") or values.get("lineObjectNumber") else \
            ("Item" if values.get("itemId") else "Comment")
    record["lineType"] = line_type
    if line_type == "Comment":
        if values.get("lineObjectNumber") or values.get("accountId") not in (None, EMPTY_GUID):
            raise errors.dialog("A comment line cannot have an account or an item.")
        return
    if line_type != "Account":
        if values.get("itemId") not in (None, EMPTY_GUID):
            raise errors.record_not_found("Item", f"Id='{values['itemId']}'")
        raise errors.dialog(f"Lines of type {line_type} are not supported in this company.")
    account_id, number = values.get("accountId"), values.get("lineObjectNumber")
    by_id = c.get("accounts", account_id) if account_id not in (None, EMPTY_GUID) else None
    if account_id not in (None, EMPTY_GUID) and by_id is None:
        raise errors.record_not_found("G/L Account", f"Id='{account_id}'")
    by_number = c.find("accounts", number=number) if number else None
    if number and by_number is None:
        raise errors.record_not_found("G/L Account", f"No.='{number}'")
    account = by_id or by_number
    if account is None:
        raise errors.dialog('A "lineObjectNumber" or an "accountId" must be provided for a line of type Account.')
    if by_id is not None and by_number is not None and by_id is not by_number:
        raise errors.dialog('The "accountId" and "lineObjectNumber" do not match to the same account.')
    check_account(account)
    record["accountId"], record["lineObjectNumber"] = account["id"], account["number"]
    if not values.get("description"):
        record["description"] = account["displayName"]


def _line_amounts(line: dict) -> None:
    if line.get("lineType") == "Comment":
        for name in ("amountExcludingTax", "amountIncludingTax", "netAmount", "netAmountIncludingTax"):
            line[name] = Decimal(0)
        return
    gross = (line.get("quantity") or Decimal(0)) * (line.get("unitCost") or Decimal(0))
    if line.get("discountPercent"):
        line["discountAmount"] = money(gross * line["discountPercent"] / 100)
    amount = money(gross - (line.get("discountAmount") or Decimal(0)))
    line["amountExcludingTax"] = line["amountIncludingTax"] = amount
    line["netAmount"] = line["netAmountIncludingTax"] = amount
    line["totalTaxAmount"] = line["netTaxAmount"] = Decimal("0.00")


# -- dimension set lines ------------------------------------------------------------------------------


def create_dimension(c: Company, parent_table: str | None, parent: dict | None, body: Any, now: datetime) -> dict:
    if parent is None or parent_table is None:
        raise errors.dialog("You must get to the parent first to create a dimension set line.")
    _require_parent_editable(c, parent_table, parent)
    dimension, value = _dimension_and_value(c, body)
    if c.get("dimensionSetLines", f"{parent['id']}:{dimension['id']}") is not None:
        raise errors.dialog(
            "The dimension set line already exists. Check existing dimension set lines and the default dimension "
            "set lines on the parent."
        )
    record = _insert_dimension(c, parent_table, parent, dimension, value, now)
    _touch_parent(c, parent_table, parent, now)
    return record


def upsert_dimension(c: Company, parent_table: str, parent: dict, body: Any, now: datetime) -> dict:
    """Deep insert on a new line: the header's value it started with is replaced."""
    dimension, value = _dimension_and_value(c, body)
    existing = c.get("dimensionSetLines", f"{parent['id']}:{dimension['id']}")
    if existing is not None:
        c.delete("dimensionSetLines", existing["_key"])
    return _insert_dimension(c, parent_table, parent, dimension, value, now)


def patch_dimension(c: Company, parent_table: str, parent: dict, record: dict, body: Any, now: datetime) -> dict:
    _require_parent_editable(c, parent_table, parent)
    values, _ = typed_body("dimensionSetLines", body, creating=False)
    if values.get("id", record["id"]) != record["id"] or values.get("code", record["code"]) != record["code"]:
        raise errors.dialog('The "id" and "code" of a dimension set line cannot be changed.')
    dimension = c.require("dimensions", record["id"])
    _, value = _dimension_and_value(c, {"id": dimension["id"], **{k: v for k, v in body.items()
                                                                   if k in ("valueId", "valueCode")}})
    _set_value(record, dimension, value)
    c.touch("dimensionSetLines", record["_key"], now)
    _touch_parent(c, parent_table, parent, now)
    return record


def delete_dimension(c: Company, parent_table: str, parent: dict, record: dict, now: datetime) -> None:
    _require_parent_editable(c, parent_table, parent)
    c.delete("dimensionSetLines", record["_key"])
    _touch_parent(c, parent_table, parent, now)


def _require_parent_editable(c: Company, parent_table: str, parent: dict) -> None:
    if parent_table in DOCUMENT_OF:
        require_draft(c.require(DOCUMENT_OF[parent_table], parent["documentId"]))
    elif parent_table in LINES_OF:
        require_draft(parent)


def _touch_parent(c: Company, parent_table: str, parent: dict, now: datetime) -> None:
    c.touch(parent_table, parent["_key"], now)
    if parent_table in DOCUMENT_OF:
        doc_table = DOCUMENT_OF[parent_table]
        c.touch(doc_table, c.require(doc_table, parent["documentId"])["_key"], now)


def _dimension_and_value(c: Company, body: Any) -> tuple[dict, dict]:
    values, _ = typed_body("dimensionSetLines", body, creating=True)
    dim_id, code = values.get("id"), values.get("code")
    dimension = c.get("dimensions", dim_id) if dim_id not in (None, EMPTY_GUID) else \
        (c.find("dimensions", code=code) if code else None)
    if dimension is None:
        raise errors.record_not_found("Dimension", f"Code='{code or dim_id or ''}'")
    if code and dimension["code"] != code:
        raise errors.dialog('The "id" and "code" do not match to the same dimension.')
    value_id, value_code = values.get("valueId"), values.get("valueCode")
    value = c.get("dimensionValues", value_id) if value_id not in (None, EMPTY_GUID) else \
        (c.find("dimensionValues", dimensionId=dimension["id"], code=value_code) if value_code else None)
    if value is None or value["dimensionId"] != dimension["id"]:
        raise errors.record_not_found(
            "Dimension Value", f"Dimension Code='{dimension['code']}',Code='{value_code or value_id or ''}'")
    if value_code and value["code"] != value_code:
        raise errors.dialog('The "valueId" and "valueCode" do not match to the same dimension value.')
    return dimension, value


def _insert_dimension(c: Company, parent_table: str, parent: dict, dimension: dict | None, value: dict | None,
                      now: datetime) -> dict:
    assert dimension is not None and value is not None
    record = {"id": dimension["id"], "code": dimension["code"], "consolidationCode": "", "displayName":
              dimension["displayName"], "parentId": parent["id"], "parentType": PARENT_TYPES[parent_table]}
    _set_value(record, dimension, value)
    return c.insert("dimensionSetLines", record, now, key=f"{parent['id']}:{dimension['id']}")


def _set_value(record: dict, dimension: dict, value: dict) -> None:
    record.update(valueId=value["id"], valueCode=value["code"], valueDisplayName=value["displayName"],
                  valueConsolidationCode=value.get("consolidationCode") or "")


def copy_lines_as(c: Company, source_table: str, source: dict, target_table: str, target: dict,
                  now: datetime) -> None:
    """Mirror a document's lines (and their dimensions) onto another document (corrective credit memo)."""
    for line in c.children(LINES_OF[source_table], source["id"]):
        body = {k: line[k] for k in ("lineType", "description", "quantity", "unitCost") if k in line}
        if line["lineType"] == "Account":
            body["accountId"] = line["accountId"]
        created = create_line(c, LINES_OF[target_table], target, body, now)
        for dim in c.children("dimensionSetLines", line["id"]):
            upsert_dimension(c, LINES_OF[target_table], created,
                             {"id": dim["id"], "valueId": dim["valueId"]}, now)
