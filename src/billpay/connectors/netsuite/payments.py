"""Bill payments as NetSuite ``vendorPayment`` records applied to their vendor bills.

Before paying, the bills of the batch are read in one SuiteQL query (vendor,
subsidiary, currency, amount remaining). A bill with nothing remaining is
refused as already paid, unless the payment applied to it is billpay's own
(same external id: an earlier attempt whose answer was lost). The payment is
drawn on the bank account chosen for its currency in the connection's options
(``bank_accounts``); without a choice the payment is refused with a
configuration error naming what to choose, never drawn on some account silently.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

from billpay.connectors.netsuite import errors, wire
from billpay.connectors.netsuite.transform import money, payment_to_wire
from billpay.sync.ports import BillPaymentPayload, ConnectorError, RemoteRef, WriteResult

if TYPE_CHECKING:  # pragma: no cover - types only
    from billpay.connectors.netsuite.connector import NetSuiteConnector


class PaymentWriter:
    def __init__(self, connector: NetSuiteConnector, bank_accounts: Mapping[str, str]) -> None:
        self.connector = connector
        self.bank_accounts = {k.upper(): str(v) for k, v in bank_accounts.items() if v}

    def bank_account(self, payload: BillPaymentPayload) -> str:
        chosen = payload.bank_account_id or self.bank_accounts.get(payload.currency.upper())
        if chosen:
            return chosen
        banks = [a for a in self.connector.fetch_reference_data("accounts")
                 if a.active and a.extra.get("type") == "Bank" and a.extra.get("currency") == payload.currency]
        choices = ("its bank accounts in that currency are: " + ", ".join(f"{b.name} (id {b.id})" for b in banks)
                   + ".") if banks else "the NetSuite account has no active bank account in that currency."
        raise errors.resolution_error(errors.BANK_ACCOUNT_NOT_CHOSEN, raw={"currency": payload.currency},
                                      currency=payload.currency, choices=choices)

    def push(self, items: Sequence[tuple[str, BillPaymentPayload]]) -> list[WriteResult]:
        unique: dict[str, BillPaymentPayload] = {}
        for key, payload in items:
            unique.setdefault(key, payload)
        try:
            bills = self._bills([p.bill_external_id for p in unique.values()])
            self.connector.currencies()
        except ConnectorError as error:
            return [WriteResult(key=key, error=error) for key, _ in items]

        def pay(entry: tuple[str, BillPaymentPayload]) -> WriteResult:
            key, payload = entry
            try:
                return WriteResult(key=key, ref=self._pay(key, payload, bills.get(payload.bill_external_id)))
            except ConnectorError as error:
                return WriteResult(key=key, error=error)

        done = {r.key: r for r in self.connector.fan_out(pay, list(unique.items()))}
        return [done[key] for key, _ in items]

    def _bills(self, ids: Sequence[str]) -> dict[str, dict]:
        wanted = sorted({i for i in ids if i and i.isdigit()}, key=int)
        found: dict[str, dict] = {}
        for start in range(0, len(wanted), 900):
            for row in self.connector.client.suiteql(wire.bills_by_id_query(wanted[start:start + 900])):
                found[str(row["id"])] = row
        return found

    def _pay(self, key: str, payload: BillPaymentPayload, bill: dict | None) -> RemoteRef:
        external_id = wire.external_id(key)
        if bill is None:
            raise errors.resolution_error(errors.BILL_DELETED, raw={"bill": payload.bill_external_id})
        if money(bill.get("remaining")) <= 0:
            mine = self.connector.read_raw("vendorPayment", f"eid:{external_id}", expand=False)
            if mine is not None:
                return RemoteRef(str(mine["id"]))
            raise errors.resolution_error(errors.BILL_ALREADY_PAID, raw={
                "bill": payload.bill_external_id, "amountRemaining": str(bill.get("remaining"))})
        body = payment_to_wire(payload, bank_account_id=self.bank_account(payload),
                               currency_id=self.connector.currency_id(payload.currency),
                               subsidiary=bill.get("subsidiary"), external_id=external_id)
        answer = self.connector.client.upsert("vendorPayment", external_id, body, replace="apply")
        return RemoteRef(self.connector._location_id(answer))
