"""VendorCredit: a vendor's credit note, and its application in BillPayments.

A VendorCredit has expense lines like a bill; its ``TotalAmt`` is their sum and must be
positive, its ``Balance`` what BillPayments have not applied yet. A BillPayment applies a credit
with a line linked to it (``TxnType: VendorCredit``); the payment's ``TotalAmt`` is then what the
bills receive less the credits applied. A credit may not be applied beyond its balance nor to
another vendor's payment.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from . import errors
from .fields import ZERO, WriteContext, set_home_amounts


def credit_applications(payment: dict) -> dict[str, Decimal]:
    """Amount a BillPayment applies from each vendor credit id."""
    applied: dict[str, Decimal] = {}
    for line in payment.get("Line", []):
        for link in line.get("LinkedTxn", []):
            if link.get("TxnType") == "VendorCredit":
                applied[str(link["TxnId"])] = applied.get(str(link["TxnId"]), ZERO) + line["Amount"]
    return applied


def credit_used(company, credit: dict) -> Decimal:  # noqa: ANN001
    total = ZERO
    for link in credit.get("LinkedTxn", []):
        payment = company.get("BillPayment", link["TxnId"])
        if payment is not None:
            total += credit_applications(payment).get(credit["Id"], ZERO)
    return total


def check_credit_lines(ctx: WriteContext, wanted: dict[str, Decimal], vendor_id: str,
                       previously: dict[str, Decimal]) -> None:
    for credit_id, amount in wanted.items():
        credit = ctx.company.get("VendorCredit", credit_id)
        if credit is None:
            raise errors.object_not_found("VendorCredit")
        if credit["VendorRef"]["value"] != vendor_id:
            raise errors.business_validation(
                f"Vendor credit {credit_id} belongs to a different vendor than this bill payment.",
                element="Line.LinkedTxn")
        available = credit["Balance"] + previously.get(credit_id, ZERO)
        if amount > available:
            raise errors.business_validation(
                f"The credit applied ({amount}) is more than the open balance {available} of vendor credit "
                f"{credit.get('DocNumber') or credit_id}.", element="Line.Amount")


def settle_credits(ctx: WriteContext, payment: dict, before: dict[str, Decimal], after: dict[str, Decimal]) -> None:
    """Move each affected credit's Balance and LinkedTxn to match the payment's applications."""
    for credit_id in sorted(set(before) | set(after)):
        if before.get(credit_id) == after.get(credit_id):
            continue
        credit = ctx.company.get("VendorCredit", credit_id)
        if credit is None:
            continue
        updated = copy.deepcopy(credit)
        links = [link for link in credit.get("LinkedTxn", []) if str(link["TxnId"]) != payment["Id"]]
        if after.get(credit_id):
            links.append({"TxnId": payment["Id"], "TxnType": "BillPaymentCheck"})
        if links:
            updated["LinkedTxn"] = links
        else:
            updated.pop("LinkedTxn", None)
        updated["Balance"] = updated["TotalAmt"] - credit_used(ctx.company, updated)
        set_home_amounts(updated)
        ctx.company.replace("VendorCredit", updated, ctx.now)
