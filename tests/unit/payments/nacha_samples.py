"""Shared sample data for the Nacha tests (imported by the test modules)."""

from datetime import date, datetime
from decimal import Decimal

from billpay.payments.rails import OriginatorProfile, PaymentInstruction

TODAY = date(2026, 7, 1)
CREATED = datetime(2026, 7, 1, 9, 30)

ORIGINATOR = OriginatorProfile(
    company_name="Acme Widgets, Inc.",
    company_id="1234567890",
    odfi_routing="091000019",
    account_number="55501234",
    bank_name="First Bank of Example",
)


def routing_with_check_digit(prefix8: str) -> str:
    total = sum(int(c) * w for c, w in zip(prefix8, (3, 7, 1, 3, 7, 1, 3, 7), strict=True))
    return prefix8 + str((10 - total % 10) % 10)


def instruction(pid, amount, routing, account, name, pay_date=date(2026, 7, 2), **kw):
    return PaymentInstruction(
        payment_id=pid, amount=Decimal(amount), currency="USD", pay_date=pay_date, method="ach",
        creditor_name=name, routing_number=routing, account_number=account, **kw,
    )


SAMPLE = [
    instruction("pay-1", "1234.56", "021000021", "123456789", "Müller & Søn GmbH", invoice_numbers=("INV-1001",)),
    instruction("pay-2", "0.01", "011401533", "987-654", "Beta LLC", pay_date=date(2026, 7, 6),
                account_type="savings", invoice_numbers=("A1", "A2"), remittance="thanks"),
    instruction("pay-3", "99999999.99", "121000248", "ABC12345678901234",
                "A very long vendor name that does not fit", remittance="June services"),
]
