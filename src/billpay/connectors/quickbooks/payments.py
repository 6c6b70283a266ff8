"""Bill payments for QuickBooks Online: guard, create in batches, find after a lost answer, void.

A payment is drawn on the bank account it names (the one the organization chose
for its currency on the connection, ``options["bank_accounts"]``), or the one
chosen for its currency when the connector was built; none chosen is refused
naming the accounts that could be, never drawn on "the first bank account".

Before creating payments, one query per batch reads the bills they pay
(``Id IN (...)``). A bill that is gone is refused (``platform_bill_deleted``)
and a bill whose open balance is smaller than the payment is refused
(``platform_bill_already_paid``) unless the payment linked to it is
billpay's own (then its reference is returned): paying it again would turn
the money into an unapplied vendor credit in QuickBooks, a double payment
in the books. A payment the bank returned after settlement is voided
(``void``): QuickBooks keeps it at zero and the bill is open again.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from billpay.connectors.base.idempotency import request_id
from billpay.connectors.quickbooks import faults, wire
from billpay.connectors.quickbooks.transform import (
    CompanyCurrency,
    billpay_id_of,
    paid_by_payment,
    payment_to_wire,
    to_decimal,
)
from billpay.sync.ports import BillPaymentPayload, ConnectorError, RemoteRef, WriteResult

if TYPE_CHECKING:
    from billpay.connectors.quickbooks.connector import QuickBooksConnector


class BillPaymentWriter:
    """The payment half of ``QuickBooksConnector``."""

    def __init__(self, connector: QuickBooksConnector, *, bank_accounts: Mapping[str, str]) -> None:
        self._connector = connector
        self._client = connector.client
        self._bank_accounts = {k.upper(): str(v) for k, v in bank_accounts.items() if v}

    def bank_account_id(self, payload: BillPaymentPayload, choices: Callable[[], str]) -> str:
        """The account the payment is drawn on: the one it names, else the one chosen on the connection for its
        currency; none chosen is refused (``choices()`` says which accounts could be), never "the first one"."""
        chosen = payload.bank_account_id or self._bank_accounts.get(payload.currency.upper())
        if chosen:
            return chosen
        raise faults.resolution_error(faults.BANK_ACCOUNT_MISSING, raw={"currency": payload.currency},
                                      detail=f"{payload.currency.upper()} ({choices()})")

    def _choices(self, currency: str, home: str) -> str:
        banks = [a for a in self._connector.fetch_reference_data("accounts") if a.active
                 and a.extra.get("account_type") == "Bank" and a.extra.get("currency", home) in (currency, home)]
        if not banks:
            return f"QuickBooks Online has no active bank account in {currency} or {home}"
        return "bank accounts that can pay them: " + ", ".join(f"{b.name} (id {b.id})" for b in banks)

    def push(self, items: Sequence[tuple[str, BillPaymentPayload]]) -> list[WriteResult]:
        try:
            company = self._connector.company_currency()
        except ConnectorError as error:
            return [WriteResult(key=key, error=error) for key, _ in items]
        try:
            # One guard read for every bill of the push (in groups that keep the query short).
            bills = self._bills_by_id({payload.bill_external_id for _, payload in items})
            credits = self._balances("VendorCredit", {c for _, p in items for c in p.vendor_credit_ids})
        except ConnectorError as error:
            return [WriteResult(key=key, error=error) for key, _ in items]
        results: dict[str, WriteResult] = {}
        for start in range(0, len(items), wire.BATCH_SIZE):
            chunk = list(items[start:start + wire.BATCH_SIZE])
            results.update(self._push_chunk(chunk, company, bills, credits))
        return [results[key] for key, _ in items]

    def _push_chunk(
        self, chunk: list[tuple[str, BillPaymentPayload]], company: CompanyCurrency, bills: dict[str, dict],
        credits: dict[str, Decimal],
    ) -> dict[str, WriteResult]:
        results: dict[str, WriteResult] = {}
        to_send: list[tuple[str, BillPaymentPayload]] = []
        for key, payload in chunk:
            verdict = self._guard(key, payload, bills.get(payload.bill_external_id))
            if verdict is not None:
                results[key] = verdict
            else:
                to_send.append((key, payload))

        def build(payload: object) -> dict:
            assert isinstance(payload, BillPaymentPayload)
            bank = self.bank_account_id(payload, lambda: self._choices(payload.currency.upper(), company.home))
            rate = self._connector.rate_for(payload.currency, payload.exchange_rate, payload.pay_date)
            return payment_to_wire(payload, company, bank_account_id=bank, exchange_rate=rate,
                                   credit_balances=credits)

        written = self._connector.write_in_batches("BillPayment", to_send, build)
        results.update({result.key: result for result in written})
        return results

    def _guard(self, key: str, payload: BillPaymentPayload, bill: dict | None) -> WriteResult | None:
        """A result when the payment must not be created; None when it may be."""
        if bill is None:
            return WriteResult(key=key, error=faults.resolution_error(
                faults.BILL_DELETED, raw={"bill_id": payload.bill_external_id}))
        balance = to_decimal(bill.get("Balance", bill.get("TotalAmt")))
        if balance >= to_decimal(payload.amount):
            return None
        existing = self._linked_payment(bill, payload.payment_id)
        if existing is not None:
            return WriteResult(key=key, ref=existing)
        return WriteResult(key=key, error=faults.resolution_error(
            faults.BILL_ALREADY_PAID, detail=str(balance),
            raw={"bill_id": payload.bill_external_id, "balance": str(balance)}))

    GUARD_GROUP = 300  # ids per query: about 2 KB of query text

    def _rows_by_id(self, entity: str, ids: set[str]) -> dict[str, dict]:
        ordered = sorted(ids)
        out: dict[str, dict] = {}
        for start in range(0, len(ordered), self.GUARD_GROUP):
            listed = ", ".join(wire.quote(i) for i in ordered[start:start + self.GUARD_GROUP])
            for row in self._client.query_all(entity, f"Id IN ({listed})"):
                out[str(row.get("Id"))] = row
        return out

    def _bills_by_id(self, ids: set[str]) -> dict[str, dict]:
        return self._rows_by_id("Bill", ids)

    def _balances(self, entity: str, ids: set[str]) -> dict[str, Decimal]:
        """Open balances of these records (vendor credits applied with payments), one query per group."""
        return {key: to_decimal(row.get("Balance")) for key, row in self._rows_by_id(entity, ids).items()}

    def _linked_payment(self, bill: dict, payment_id: str) -> RemoteRef | None:
        linked = paid_by_payment(bill)
        if not linked:
            return None
        listed = ", ".join(wire.quote(i) for i in linked)
        for row in self._client.query_pages("BillPayment", f"Id IN ({listed})"):
            if billpay_id_of(row) == payment_id:
                return RemoteRef(str(row["Id"]), _token(row))
        return None

    def find(self, payment_id: str, payload: BillPaymentPayload) -> RemoteRef | None:
        """billpay's payment among its bill's linked payments; by vendor + pay date if the bill is gone."""
        bill = self._connector.read_raw_bill(payload.bill_external_id)
        if bill is not None:
            # A payment billpay created is linked to its bill; nothing else to search.
            return self._linked_payment(bill, payment_id)
        where = (f"VendorRef = {wire.quote(payload.vendor_external_id)} AND "
                 f"TxnDate = {wire.quote(payload.pay_date.isoformat())}")
        for row in self._client.query_pages("BillPayment", where):
            if billpay_id_of(row) == payment_id:
                return RemoteRef(str(row["Id"]), _token(row))
        return None

    def void(self, ref: RemoteRef, idempotency_key: str) -> None:
        """``operation=update&include=void`` with the current SyncToken (re-read once if it went stale); a payment
        already voided or deleted is success."""
        for attempt in (1, 2):
            current = self._connector.read_raw("BillPayment", ref.external_id)
            if current is None or _voided(current):
                return
            token = _token(current) or "0"
            try:
                self._client.post("billpayment", {"Id": ref.external_id, "SyncToken": token, "sparse": True},
                                  params={"operation": "update", "include": "void"},
                                  requestid=request_id(idempotency_key, "void", token))
                return
            except ConnectorError as error:
                if error.kind == "not_found":
                    return
                if error.code != faults.STALE_VERSION.code or attempt == 2:
                    raise


def _voided(payment: dict) -> bool:
    """A voided BillPayment: QuickBooks zeroes it and unlinks its bills."""
    return to_decimal(payment.get("TotalAmt")) == 0 and not any(
        line.get("LinkedTxn") for line in payment.get("Line") or [] if isinstance(line, dict))


def _token(record: dict) -> str | None:
    value = record.get("SyncToken")
    return None if value is None else str(value)
