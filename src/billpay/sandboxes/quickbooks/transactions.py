"""Transactions: Bill and BillPayment.

A bill's ``TotalAmt`` is the sum of its lines and its ``Balance`` what the
linked payments leave open; a payment may not apply more to a bill than its
open balance. ``operations.py`` moves the bills when payments change.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from . import errors, timefmt
from .company import Company
from .fields import (
    ZERO,
    WriteContext,
    clean,
    closed_books,
    currency_ref,
    day,
    exchange_rate,
    existing_day,
    max_length,
    money,
    ref_id,
    ref_to,
    resolve,
    set_home_amounts,
)
from .vendor_credits import check_credit_lines, credit_applications, credit_used

PAYMENT_LINK_TYPES = {"Check": "BillPaymentCheck", "CreditCard": "BillPaymentCreditCard"}


def prepare_bill(ctx: WriteContext, fields: dict, existing: dict | None) -> dict:
    for key in ("TotalAmt", "Balance", "HomeBalance", "LinkedTxn", "HomeTotalAmt"):
        fields.pop(key, None)
    if "VendorRef" not in fields or ref_id(fields["VendorRef"]) is None:
        raise errors.required_param("VendorRef", element="VendorRef")
    vendor = resolve(ctx, "Vendor", fields["VendorRef"], "VendorRef")
    fields["VendorRef"] = ref_to("Vendor", vendor)
    paid = bill_paid_amount(ctx.company, existing) if existing else ZERO
    if existing and paid and existing["VendorRef"]["value"] != vendor["Id"]:
        raise errors.business_validation(
            "The vendor of a bill that has payments linked to it can't be changed."
        )

    txn_date = day(fields["TxnDate"], "TxnDate") if "TxnDate" in fields else ctx.today
    closed_books(ctx, txn_date, existing_day(existing, "TxnDate"))
    fields["TxnDate"] = txn_date.isoformat()

    term = None
    if fields.get("SalesTermRef"):
        term = resolve(ctx, "Term", fields["SalesTermRef"], "SalesTermRef")
        fields["SalesTermRef"] = {"value": term["Id"], "name": term["Name"]}
    elif vendor.get("TermRef"):
        term = ctx.company.get("Term", vendor["TermRef"]["value"])
    if "DueDate" in fields:
        fields["DueDate"] = day(fields["DueDate"], "DueDate").isoformat()
    else:
        due_days = int(term.get("DueDays", 0)) if term else 0
        fields["DueDate"] = timefmt.add_days(txn_date, due_days).isoformat()

    max_length(fields, "DocNumber", 21)
    max_length(fields, "PrivateNote", 4000)
    if fields.get("DocNumber"):
        fields["DocNumber"] = str(fields["DocNumber"])
        _check_duplicate_bill_number(ctx, fields["DocNumber"], vendor["Id"], existing)

    ap_id = ref_id(fields.get("APAccountRef")) or ctx.company.default_ap_account_id()
    ap = resolve(ctx, "Account", ap_id, "APAccountRef")
    if ap.get("AccountType") != "Accounts Payable":
        raise errors.business_validation(
            "APAccountRef must refer to an Accounts Payable account.", element="APAccountRef"
        )
    fields["APAccountRef"] = ref_to("Account", ap)
    if fields.get("DepartmentRef"):
        fields["DepartmentRef"] = ref_to(
            "Department", resolve(ctx, "Department", fields["DepartmentRef"], "DepartmentRef")
        )
    fields["CurrencyRef"] = currency_ref(ctx, fields)
    _vendor_currency(ctx, vendor, fields)
    exchange_rate(ctx, fields, txn_date)

    fields["Line"] = bill_lines(ctx, fields.get("Line"), existing)
    total = sum((line["Amount"] for line in fields["Line"]), ZERO)
    if total < 0:
        raise errors.business_validation("Transaction total can't be negative.")
    if total < paid:
        raise errors.business_validation(
            f"The bill total ({total}) can't be less than the amount already paid ({paid})."
        )
    fields["TotalAmt"] = total
    fields["Balance"] = total - paid
    set_home_amounts(fields)
    fields["LinkedTxn"] = copy.deepcopy(existing.get("LinkedTxn", [])) if existing else []
    if not fields["LinkedTxn"]:
        fields.pop("LinkedTxn")
    return fields


def _vendor_currency(ctx: WriteContext, vendor: dict, fields: dict) -> None:
    """A transaction is in its vendor's currency (set when the vendor was created)."""
    home = ctx.company.settings.home_currency
    wanted = (vendor.get("CurrencyRef") or {}).get("value") or home
    if fields["CurrencyRef"]["value"] != wanted:
        raise errors.business_validation(
            f"The currency of the transaction ({fields['CurrencyRef']['value']}) must be the vendor's currency "
            f"({wanted}).", element="CurrencyRef")


def _check_duplicate_bill_number(
    ctx: WriteContext, number: str, vendor_id: str, existing: dict | None
) -> None:
    if ctx.allow_duplicate_doc_number or not ctx.company.settings.duplicate_doc_number_check:
        return
    own_id = existing["Id"] if existing else None
    for bill in ctx.company.values("Bill"):
        if (
            bill["Id"] != own_id
            and bill.get("DocNumber") == number
            and bill["VendorRef"]["value"] == vendor_id
        ):
            raise errors.duplicate_doc_number(number, "Bill", bill["Id"])


def bill_lines(ctx: WriteContext, lines: Any, existing: dict | None) -> list[dict]:
    if not isinstance(lines, list) or not lines:
        raise errors.business_validation("You must fill out at least one split line.")
    known_ids = {line["Id"] for line in (existing or {}).get("Line", [])}
    next_id = max((int(i) for i in known_ids if str(i).isdigit()), default=0) + 1
    out = []
    for index, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise errors.invalid_property("Line")
        detail_type = line.get("DetailType")
        if not detail_type:
            raise errors.required_param("DetailType", element="Line.DetailType")
        if detail_type == "ItemBasedExpenseLineDetail":
            detail = line.get(detail_type) or {}
            raise errors.invalid_reference(
                "Item", ref_id(detail.get("ItemRef")) or "", element="Line.ItemRef"
            )
        if detail_type != "AccountBasedExpenseLineDetail":
            raise errors.invalid_enumeration(detail_type, element="Line.DetailType")
        if line.get("Amount") in (None, ""):
            raise errors.required_param("Amount", element="Line.Amount")
        detail = clean(line.get(detail_type) or {})
        if ref_id(detail.get("AccountRef")) is None:
            raise errors.required_param("AccountRef", element="Line.AccountBasedExpenseLineDetail.AccountRef")
        account = resolve(
            ctx, "Account", detail["AccountRef"], "Line.AccountBasedExpenseLineDetail.AccountRef"
        )
        detail["AccountRef"] = ref_to("Account", account)
        if detail.get("ClassRef") and ref_id(detail["ClassRef"]):
            klass = resolve(ctx, "Class", detail["ClassRef"], "Line.AccountBasedExpenseLineDetail.ClassRef")
            detail["ClassRef"] = ref_to("Class", klass)
        else:
            detail.pop("ClassRef", None)
        if detail.get("CustomerRef") and not ref_id(detail["CustomerRef"]):
            detail.pop("CustomerRef")
        detail.setdefault("BillableStatus", "NotBillable")
        if not ref_id(detail.get("TaxCodeRef")):
            detail["TaxCodeRef"] = {"value": "NON"}
        detail.pop("TaxInclusiveAmt", None)
        line_id = str(line.get("Id") or "")
        if line_id not in known_ids:
            line_id = str(next_id)
            next_id += 1
        out_line: dict[str, Any] = {"Id": line_id, "LineNum": index}
        if line.get("Description"):
            if len(str(line["Description"])) > 4000:
                raise errors.string_too_long("Line.Description", 4000, len(str(line["Description"])))
            out_line["Description"] = line["Description"]
        out_line["Amount"] = money(line["Amount"], "Line.Amount")
        out_line["DetailType"] = detail_type
        out_line[detail_type] = detail
        out.append(out_line)
    return out


def payment_applications(payment: dict) -> dict[str, Decimal]:
    """Amount a BillPayment applies to each bill id."""
    applied: dict[str, Decimal] = {}
    for line in payment.get("Line", []):
        for link in line.get("LinkedTxn", []):
            if link.get("TxnType") == "Bill":
                bill_id = str(link["TxnId"])
                applied[bill_id] = applied.get(bill_id, ZERO) + line["Amount"]
    return applied


def bill_paid_amount(company: Company, bill: dict) -> Decimal:
    total = ZERO
    for link in bill.get("LinkedTxn", []):
        payment = company.get("BillPayment", link["TxnId"])
        if payment is not None:
            total += payment_applications(payment).get(bill["Id"], ZERO)
    return total


def prepare_bill_payment(ctx: WriteContext, fields: dict, existing: dict | None) -> dict:
    if ref_id(fields.get("VendorRef")) is None:
        raise errors.required_param("VendorRef", element="VendorRef")
    vendor = resolve(ctx, "Vendor", fields["VendorRef"], "VendorRef")
    fields["VendorRef"] = ref_to("Vendor", vendor)
    pay_type = fields.get("PayType")
    if not pay_type:
        raise errors.required_param("PayType", element="PayType")
    if pay_type not in PAYMENT_LINK_TYPES:
        raise errors.invalid_enumeration(pay_type, element="PayType")
    if pay_type == "Check":
        fields.pop("CreditCardPayment", None)
        check = clean(fields.get("CheckPayment") or {})
        if ref_id(check.get("BankAccountRef")) is None:
            raise errors.required_param("CheckPayment.BankAccountRef", element="CheckPayment.BankAccountRef")
        bank = resolve(ctx, "Account", check["BankAccountRef"], "CheckPayment.BankAccountRef")
        if bank.get("AccountType") != "Bank":
            raise errors.business_validation(
                "A check payment must be paid from a Bank account.", element="BankAccountRef"
            )
        _bank_currency(ctx, bank, ref_id(fields.get("CurrencyRef")))
        check["BankAccountRef"] = ref_to("Account", bank)
        check.setdefault("PrintStatus", "NeedToPrint")
        fields["CheckPayment"] = check
    else:
        fields.pop("CheckPayment", None)
        card = clean(fields.get("CreditCardPayment") or {})
        if ref_id(card.get("CCAccountRef")) is None:
            raise errors.required_param(
                "CreditCardPayment.CCAccountRef", element="CreditCardPayment.CCAccountRef"
            )
        account = resolve(ctx, "Account", card["CCAccountRef"], "CreditCardPayment.CCAccountRef")
        if account.get("AccountType") != "Credit Card":
            raise errors.business_validation(
                "A credit card payment must use a Credit Card account.", element="CCAccountRef"
            )
        card["CCAccountRef"] = ref_to("Account", account)
        fields["CreditCardPayment"] = card
    if "TotalAmt" not in fields:
        raise errors.required_param("TotalAmt", element="TotalAmt")
    total = money(fields["TotalAmt"], "TotalAmt")
    if total < 0:
        raise errors.business_validation("The total amount cannot be negative.", element="TotalAmt")
    fields["TotalAmt"] = total

    txn_date = day(fields["TxnDate"], "TxnDate") if "TxnDate" in fields else ctx.today
    closed_books(ctx, txn_date, existing_day(existing, "TxnDate"))
    fields["TxnDate"] = txn_date.isoformat()
    max_length(fields, "DocNumber", 21)
    max_length(fields, "PrivateNote", 4000)
    ap = resolve(
        ctx,
        "Account",
        ref_id(fields.get("APAccountRef")) or ctx.company.default_ap_account_id(),
        "APAccountRef",
    )
    fields["APAccountRef"] = ref_to("Account", ap)
    if fields.get("DepartmentRef"):
        fields["DepartmentRef"] = ref_to(
            "Department", resolve(ctx, "Department", fields["DepartmentRef"], "DepartmentRef")
        )
    fields["CurrencyRef"] = currency_ref(ctx, fields)
    _vendor_currency(ctx, vendor, fields)
    exchange_rate(ctx, fields, txn_date)
    fields["Line"] = _payment_lines(ctx, fields.get("Line"), vendor["Id"], existing)
    applied = sum((line["Amount"] for line in fields["Line"] if line["LinkedTxn"][0]["TxnType"] == "Bill"), ZERO)
    credited = sum((line["Amount"] for line in fields["Line"]
                    if line["LinkedTxn"][0]["TxnType"] == "VendorCredit"), ZERO)
    if credited and not applied:
        raise errors.business_validation("A vendor credit can only be applied together with a bill.",
                                         element="Line.LinkedTxn")
    if applied - credited > total:
        raise errors.business_validation(
            f"The amount applied to bills ({applied}) less credits ({credited}) is more than the payment total "
            f"({total}).",
            element="TotalAmt",
        )
    return fields


def _bank_currency(ctx: WriteContext, bank: dict, currency: str | None) -> None:
    """Money leaves a bank account in the payment's currency or in the home currency."""
    home = ctx.company.settings.home_currency
    held = (bank.get("CurrencyRef") or {}).get("value") or home
    if held not in (home, (currency or home).upper()):
        raise errors.business_validation(
            f"The bank account is in {held}; a payment in {(currency or home).upper()} is paid from an account "
            f"in that currency or in {home}.", element="CheckPayment.BankAccountRef")


def _payment_lines(ctx: WriteContext, lines: Any, vendor_id: str, existing: dict | None) -> list[dict]:
    if not isinstance(lines, list) or not lines:
        raise errors.required_param("Line", element="Line")
    previously = payment_applications(existing) if existing else {}
    wanted: dict[str, Decimal] = {}
    credits: dict[str, Decimal] = {}
    out = []
    for line in lines:
        if not isinstance(line, dict):
            raise errors.invalid_property("Line")
        if line.get("Amount") in (None, ""):
            raise errors.required_param("Amount", element="Line.Amount")
        amount = money(line["Amount"], "Line.Amount")
        if amount <= 0:
            raise errors.business_validation(
                "Each payment line must have an amount greater than zero.", element="Line.Amount"
            )
        links = line.get("LinkedTxn") or []
        if len(links) != 1 or not isinstance(links[0], dict):
            raise errors.required_param("LinkedTxn", element="Line.LinkedTxn")
        link = links[0]
        if link.get("TxnType") == "VendorCredit":
            credit_id = str(link.get("TxnId"))
            credits[credit_id] = credits.get(credit_id, ZERO) + amount
            out.append({"Amount": amount, "LinkedTxn": [{"TxnId": credit_id, "TxnType": "VendorCredit"}]})
            continue
        if link.get("TxnType") != "Bill":
            raise errors.business_validation(
                "A bill payment line can only be linked to a Bill.", element="Line.LinkedTxn.TxnType"
            )
        bill = ctx.company.get("Bill", link.get("TxnId"))
        if bill is None:
            raise errors.object_not_found("Bill")
        if bill["VendorRef"]["value"] != vendor_id:
            raise errors.business_validation(
                f"Bill {bill['Id']} belongs to a different vendor than this bill payment.",
                element="Line.LinkedTxn",
            )
        wanted[bill["Id"]] = wanted.get(bill["Id"], ZERO) + amount
        out.append({"Amount": amount, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]})
    for bill_id, amount in wanted.items():
        bill = ctx.company.require("Bill", bill_id)
        open_balance = bill["Balance"] + previously.get(bill_id, ZERO)
        if amount > open_balance:
            label = bill.get("DocNumber") or bill_id
            raise errors.business_validation(
                f"The payment amount {amount} is more than the open balance {open_balance} of Bill {label}.",
                element="Line.Amount",
            )
    check_credit_lines(ctx, credits, vendor_id, credit_applications(existing) if existing else {})
    return out


def prepare_vendor_credit(ctx: WriteContext, fields: dict, existing: dict | None) -> dict:
    for key in ("TotalAmt", "Balance", "LinkedTxn", "HomeTotalAmt"):
        fields.pop(key, None)
    if ref_id(fields.get("VendorRef")) is None:
        raise errors.required_param("VendorRef", element="VendorRef")
    vendor = resolve(ctx, "Vendor", fields["VendorRef"], "VendorRef")
    used = credit_used(ctx.company, existing) if existing else ZERO
    if existing and used and existing["VendorRef"]["value"] != vendor["Id"]:
        raise errors.business_validation("The vendor of a credit that was applied can't be changed.")
    fields["VendorRef"] = ref_to("Vendor", vendor)
    txn_date = day(fields["TxnDate"], "TxnDate") if "TxnDate" in fields else ctx.today
    closed_books(ctx, txn_date, existing_day(existing, "TxnDate"))
    fields["TxnDate"] = txn_date.isoformat()
    max_length(fields, "DocNumber", 21)
    max_length(fields, "PrivateNote", 4000)
    ap = resolve(ctx, "Account", ref_id(fields.get("APAccountRef")) or ctx.company.default_ap_account_id(),
                 "APAccountRef")
    fields["APAccountRef"] = ref_to("Account", ap)
    fields["CurrencyRef"] = currency_ref(ctx, fields)
    _vendor_currency(ctx, vendor, fields)
    exchange_rate(ctx, fields, txn_date)
    fields["Line"] = bill_lines(ctx, fields.get("Line"), existing)
    total = sum((line["Amount"] for line in fields["Line"]), ZERO)
    if total <= 0:
        raise errors.business_validation("A vendor credit's total must be greater than zero.")
    if total < used:
        raise errors.business_validation(
            f"The credit total ({total}) can't be less than the amount already applied ({used}).")
    fields["TotalAmt"] = total
    fields["Balance"] = total - used
    set_home_amounts(fields)
    if existing and existing.get("LinkedTxn"):
        fields["LinkedTxn"] = copy.deepcopy(existing["LinkedTxn"])
    return fields
