"""What QuickBooks accepts for each entity, and what it computes.

``prepare(ctx, entity, data, existing)`` takes the fields a client sent (the
whole object for a create or full update, the merged object for a sparse
update) and returns the record to store, or raises ``QBOFault`` exactly where
QuickBooks would refuse the request. Server-computed fields (``TotalAmt``,
``Balance``, ``LinkedTxn``, ``FullyQualifiedName``, ``Classification``...)
are always recomputed here; values a client sends for them are ignored.

Name lists live in ``namelists.py``, transactions in ``transactions.py``,
shared value readers in ``fields.py``. To support another entity, write a
``prepare_<entity>(ctx, fields, existing)`` function and register it in
``_PREPARERS``.
"""

from __future__ import annotations

from typing import Callable

from . import errors
from .fields import READ_ONLY, WriteContext, clean
from .namelists import (
    prepare_account,
    prepare_class,
    prepare_department,
    prepare_term,
    prepare_vendor,
)
from .transactions import (
    PAYMENT_LINK_TYPES,
    bill_paid_amount,
    payment_applications,
    prepare_bill,
    prepare_bill_payment,
    prepare_vendor_credit,
    set_home_amounts,
)

__all__ = [
    "PAYMENT_LINK_TYPES",
    "READ_ONLY",
    "WriteContext",
    "bill_paid_amount",
    "clean",
    "payment_applications",
    "prepare",
    "set_home_amounts",
]

Preparer = Callable[[WriteContext, dict, "dict | None"], dict]


def prepare(ctx: WriteContext, entity: str, data: dict, existing: dict | None) -> dict:
    """The record to store for ``data``; ``existing`` is the current version on update."""
    if not isinstance(data, dict):
        raise errors.invalid_property("Can not parse request body")
    fields = clean(data)
    record = _PREPARERS[entity](ctx, fields, existing)
    if existing is not None:
        record["Id"] = existing["Id"]
    return record


_PREPARERS: dict[str, Preparer] = {
    "Vendor": prepare_vendor,
    "Account": prepare_account,
    "Class": prepare_class,
    "Department": prepare_department,
    "Term": prepare_term,
    "Bill": prepare_bill,
    "BillPayment": prepare_bill_payment,
    "VendorCredit": prepare_vendor_credit,
}
