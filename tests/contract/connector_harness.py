"""What the conformance suite needs from each platform: a connector, and hands on the platform.

A harness builds the connector under test against the platform's sandbox
and acts on the platform "from outside", the way a bookkeeper working in the
platform's own UI would: add vendors, edit, pay or delete a bill, and break
things (faults, expired tokens). One subclass per platform; enrol it in
``HARNESSES`` in ``conftest.py``.

The suite never looks at platform payloads: it sees the connector through
``AccountingConnector`` and the platform through this class.
"""
from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from decimal import Decimal
from typing import ClassVar, Literal

from billpay.sync.ports import (
    AccountingConnector,
    BillLinePayload,
    BillPayload,
    BillPaymentPayload,
    RemoteRef,
)

Fault = Literal["timeout_after_commit", "rate_limited", "server_error"]


class ConnectorHarness(ABC):
    """Override every abstract method; the payload builders usually fit as they are."""

    platform: ClassVar[str]
    #: Most API calls a push of 1,000 bills may take (batching where the platform has it).
    max_calls_for_1000_bills: ClassVar[int]
    #: The earliest invoice date the sandbox accepts for bills (closed periods etc. aside).
    today: dt.date
    #: False where the platform cannot change a bill once it is in the books (Business Central posts
    #: it): a re-sync then replaces the bill (a new external id) and the old one is cancelled.
    update_keeps_external_id: ClassVar[bool] = True

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    # -- the connector under test -----------------------------------------------------
    @abstractmethod
    def connector(self, *, max_retries: int = 4) -> AccountingConnector:
        """A connector on this sandbox company; backoff waits are appended to ``self.sleeps``."""

    @abstractmethod
    def close(self) -> None: ...

    # -- platform facts -------------------------------------------------------------------
    @abstractmethod
    def vendor_id(self) -> str:
        """An active vendor bills can be written for."""

    @abstractmethod
    def inactive_vendor_id(self) -> str:
        """A vendor that exists but is inactive on the platform."""

    @abstractmethod
    def expense_account_id(self) -> str:
        """An active expense account for bill lines."""

    # -- acting from outside ------------------------------------------------------------
    @abstractmethod
    def bill_count(self) -> int:
        """How many bills exist on the platform right now (deleted ones excluded)."""

    @abstractmethod
    def edit_bill_outside(self, external_id: str, memo: str) -> None:
        """Change the bill on the platform (its version moves on)."""

    @abstractmethod
    def delete_bill_outside(self, external_id: str) -> None: ...

    @abstractmethod
    def pay_bill_outside(self, external_id: str) -> None:
        """Record a full payment of the bill on the platform, not through billpay."""

    @abstractmethod
    def inject(self, fault: Fault, count: int = 1) -> None:
        """Make the next ``count`` API requests fail this way."""

    @abstractmethod
    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expire now (as an hour passing would)."""

    @abstractmethod
    def revoke_connection(self) -> None:
        """An admin disconnects billpay's app in the platform (every token stops working)."""

    @abstractmethod
    def advance_clock(self, seconds: float) -> None: ...

    @abstractmethod
    def api_calls(self) -> int:
        """API requests the platform received since ``reset_calls`` (token endpoint excluded)."""

    @abstractmethod
    def reset_calls(self) -> None: ...

    @abstractmethod
    def stored_refresh_token(self) -> str:
        """The refresh token the connector's token store holds now (the access token where the platform
        signs in with client credentials and has no refresh token)."""

    # -- payload builders ----------------------------------------------------------------
    def bill_payload(self, n: int, *, invoice_date: dt.date | None = None, amount: str = "150.00",
                     vendor_id: str | None = None, **overrides: object) -> BillPayload:
        invoice_date = invoice_date or self.today
        total = Decimal(amount)
        first = (total * Decimal("0.6")).quantize(Decimal("0.01"))
        values: dict = dict(
            bill_id=f"bill_{n}", vendor_external_id=vendor_id or self.vendor_id(),
            invoice_number=f"CT-{n}", invoice_date=invoice_date,
            due_date=invoice_date + dt.timedelta(days=30), currency="USD", amount=total,
            lines=(BillLinePayload(first, "Services", account_id=self.expense_account_id()),
                   BillLinePayload(total - first, "Materials", account_id=self.expense_account_id())),
            memo=f"Conformance bill {n}",
        )
        values.update(overrides)
        return BillPayload(**values)

    def payment_payload(self, n: int, bill: BillPayload, ref: RemoteRef, *, method: str = "ach") -> BillPaymentPayload:
        return BillPaymentPayload(
            payment_id=f"pay_{n}", bill_external_id=ref.external_id,
            vendor_external_id=bill.vendor_external_id, amount=bill.amount, currency=bill.currency,
            pay_date=self.today, method=method, memo=f"Conformance payment {n}",
        )
