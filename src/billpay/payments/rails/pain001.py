"""ISO 20022 ``pain.001.001.09`` (CustomerCreditTransferInitiationV09) writer.

One ``PmtInf`` per execution date and payment kind (the debtor account is the
originator's one account), each ``CdtTrfTxInf`` with ``EndToEndId`` = the
payment id. Every instruction is checked before any XML is made (IBAN
checksum and BIC format via ``schwifty``, ABA routing numbers, amounts); the
document is then validated against the official XSD shipped in
``schemas/pain.001.001.09.xsd`` — a failure there is a bug, reported as
``pain001_schema_invalid``.

Payment kinds (``PmtTpInf``):

* ``sepa``: a wire in EUR to an IBAN of a SEPA country — ``SvcLvl/Cd=SEPA``,
  ``ChrgBr=SLEV``; the creditor BIC may be omitted.
* ``wire``: any other wire — ``SvcLvl/Cd=URGP``; the creditor's bank must be
  identified (BIC, or an ABA routing number for US accounts) and the
  creditor's town and country are required.
* ``ach``: a US ACH credit via pain.001 — ``SvcLvl/Cd=NURG``,
  ``LclInstrm/Prtry=CCD``.

Remittance: one ``Ustrd`` of at most 140 characters (many banks accept no
more): ``INV <numbers>`` then the free text; when the invoice list is too long
the tail is summarised as ``+N more``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from itertools import groupby

from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from billpay.payments.errors import PaymentRuleError
from billpay.payments.rails.base import (
    OriginatorProfile,
    PaymentInstruction,
    PostalAddress,
    RailFile,
    RailSubmission,
    SubmittedPayment,
    release_date,
)
from billpay.payments.rails.checks import ascii_fold, check_unique_ids, require_routing_number, to_minor_units

__all__ = [
    "NAMESPACE",
    "Pain001Document",
    "Pain001Rail",
    "build_pain001",
    "end_to_end_id",
    "payment_kind",
    "validate_pain001_instruction",
    "validate_pain001_xml",
]

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
MAX_AMOUNT = Decimal("999999999999.99")
# SEPA scheme countries (EEA + CH, GB, MC, SM, VA, AD, plus Albania, Montenegro,
# Moldova, North Macedonia and the French/other territories sharing these codes).
SEPA_COUNTRIES = frozenset(
    "AD AL AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MD ME MK MT NL NO "
    "PL PT RO SE SI SK SM VA".split()
)
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK", "CLP", "VND", "PYG", "UGX", "XAF", "XOF"})


@dataclass(frozen=True)
class Pain001Document:
    xml: bytes
    message_id: str
    number_of_transactions: int
    control_sum: Decimal
    end_to_end_ids: dict[str, str]  # payment id -> EndToEndId
    execution_dates: dict[str, date]  # payment id -> ReqdExctnDt


def end_to_end_id(payment_id: str) -> str:
    """The payment id as EndToEndId (Max35Text); a 36-char UUID loses its hyphens."""
    value = payment_id if len(payment_id) <= 35 else payment_id.replace("-", "")
    if not value or len(value) > 35:
        raise PaymentRuleError("payment_id_too_long", f"Payment id {payment_id!r} does not fit in 35 characters.")
    return value


def payment_kind(instruction: PaymentInstruction) -> str:
    """``ach``, ``sepa`` or ``wire`` (see the module docstring)."""
    if instruction.method == "ach":
        return "ach"
    iban = (instruction.iban or "").replace(" ", "").upper()
    return "sepa" if instruction.currency == "EUR" and iban[:2] in SEPA_COUNTRIES else "wire"


def validate_pain001_instruction(instruction: PaymentInstruction) -> None:
    """Codes: ``method_not_supported``, ``currency_invalid``, ``creditor_name_missing``,
    ``iban_invalid``, ``bic_invalid``, ``bic_missing``, ``routing_number_invalid``,
    ``account_number_missing``, ``creditor_account_missing``,
    ``creditor_address_missing``, ``payment_id_too_long`` and the amount codes."""
    pid = instruction.payment_id
    data = {"payment_id": pid}
    if instruction.method not in ("wire", "ach"):
        raise PaymentRuleError("method_not_supported", f"Payment {pid}: {instruction.method} is not a transfer.", data)
    currency = instruction.currency or ""
    if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise PaymentRuleError("currency_invalid", f"Payment {pid}: {currency!r} is not an ISO 4217 code.", data)
    end_to_end_id(pid)
    to_minor_units(instruction.amount, maximum=MAX_AMOUNT, payment_id=pid)
    if currency in ZERO_DECIMAL_CURRENCIES and instruction.amount != instruction.amount.to_integral_value():
        raise PaymentRuleError("amount_precision", f"Payment {pid}: {currency} has no minor unit.", data)
    if not ascii_fold(instruction.creditor_name):
        raise PaymentRuleError("creditor_name_missing", f"Payment {pid}: the vendor's name is missing.", data)
    if instruction.bic:
        _bic(instruction.bic, f"payment {pid}")
    if instruction.iban:
        _iban(instruction.iban, f"payment {pid}")
        if payment_kind(instruction) == "wire" and not instruction.bic:
            raise PaymentRuleError(
                "bic_missing",
                f"Payment {pid}: a {currency} transfer to an account outside SEPA needs the vendor bank's BIC.",
                data,
            )
    elif instruction.routing_number or instruction.account_number:
        require_routing_number(instruction.routing_number, f"{instruction.creditor_name} (payment {pid})")
        if not (instruction.account_number or "").strip():
            raise PaymentRuleError("account_number_missing", f"Payment {pid}: the account number is missing.", data)
    else:
        raise PaymentRuleError(
            "creditor_account_missing", f"Payment {pid}: the vendor has no IBAN or US bank account.", data
        )
    if payment_kind(instruction) == "wire":
        address = instruction.creditor_address
        if address is None or not address.city.strip() or len(address.country.strip()) != 2:
            raise PaymentRuleError(
                "creditor_address_missing", f"Payment {pid}: a wire needs the vendor's town and country.", data
            )


def _validate_originator(o: OriginatorProfile) -> None:
    if not ascii_fold(o.company_name):
        raise PaymentRuleError("originator_invalid", "The paying company's name is missing.")
    if o.iban:
        _iban(o.iban, "your account")
    elif not (o.account_number or "").strip():
        raise PaymentRuleError("originator_invalid", "Your bank account (IBAN or account number) is missing.")
    if o.bic:
        _bic(o.bic, "your bank")
    else:
        require_routing_number(o.odfi_routing, "your bank")


def build_pain001(
    instructions: Sequence[PaymentInstruction],
    originator: OriginatorProfile,
    *,
    today: date,
    message_id: str,
    created_at: datetime | None = None,
) -> Pain001Document:
    """Validate every instruction, build the document, check it against the XSD."""
    if not instructions:
        raise PaymentRuleError("batch_empty", "There are no payments to put in the file.")
    if not 1 <= len(message_id) <= 35:
        raise PaymentRuleError("message_id_invalid", "The message id must be 1 to 35 characters.")
    _validate_originator(originator)
    for instruction in instructions:
        validate_pain001_instruction(instruction)
    check_unique_ids(i.payment_id for i in instructions)
    created_at = (created_at or datetime.combine(today, time())).replace(microsecond=0)

    keyed = sorted(
        ((release_date(i, today), payment_kind(i), n, i) for n, i in enumerate(instructions)),
        key=lambda t: (t[0], t[1], t[2]),
    )
    total = sum((i.amount for i in instructions), Decimal(0))
    doc = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    root = _sub(doc, "CstmrCdtTrfInitn")
    header = _sub(root, "GrpHdr")
    _sub(header, "MsgId", message_id)
    _sub(header, "CreDtTm", created_at.isoformat())
    _sub(header, "NbOfTxs", str(len(instructions)))
    _sub(header, "CtrlSum", _decimal(total))
    _sub(_sub(header, "InitgPty"), "Nm", _text(originator.company_name, 140))

    execution: dict[str, date] = {}
    for n, ((when, kind), group) in enumerate(groupby(keyed, key=lambda t: (t[0], t[1])), start=1):
        items = [t[3] for t in group]
        info = _sub(root, "PmtInf")
        _sub(info, "PmtInfId", f"{message_id[:30]}-{n}")
        _sub(info, "PmtMtd", "TRF")
        _sub(info, "NbOfTxs", str(len(items)))
        _sub(info, "CtrlSum", _decimal(sum((i.amount for i in items), Decimal(0))))
        _payment_type(_sub(info, "PmtTpInf"), kind)
        _sub(_sub(info, "ReqdExctnDt"), "Dt", when.isoformat())
        _party(_sub(info, "Dbtr"), originator.company_name, originator.address)
        _account(_sub(info, "DbtrAcct"), originator.iban, originator.account_number)
        _agent(_sub(info, "DbtrAgt"), originator.bic, None if originator.bic else originator.odfi_routing)
        if kind == "sepa":
            _sub(info, "ChrgBr", "SLEV")
        for instruction in items:
            execution[instruction.payment_id] = when
            _transaction(info, instruction)

    xml = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(doc, encoding="UTF-8", xml_declaration=False,
                                                                       pretty_print=True)
    validate_pain001_xml(xml)
    return Pain001Document(
        xml, message_id, len(instructions), total,
        {i.payment_id: end_to_end_id(i.payment_id) for i in instructions}, execution,
    )


def _transaction(info: etree._Element, i: PaymentInstruction) -> None:
    tx = _sub(info, "CdtTrfTxInf")
    _sub(_sub(tx, "PmtId"), "EndToEndId", end_to_end_id(i.payment_id))
    amount = _sub(_sub(tx, "Amt"), "InstdAmt", _money(i.amount, i.currency))
    amount.set("Ccy", i.currency)
    if i.bic or not i.iban:
        _agent(_sub(tx, "CdtrAgt"), i.bic, None if i.bic else i.routing_number)
    _party(_sub(tx, "Cdtr"), i.creditor_name, i.creditor_address)
    _account(_sub(tx, "CdtrAcct"), i.iban, i.account_number)
    remittance = _remittance(i)
    if remittance:
        _sub(_sub(tx, "RmtInf"), "Ustrd", remittance)


def _payment_type(el: etree._Element, kind: str) -> None:
    _sub(_sub(el, "SvcLvl"), "Cd", {"sepa": "SEPA", "wire": "URGP", "ach": "NURG"}[kind])
    if kind == "ach":
        _sub(_sub(el, "LclInstrm"), "Prtry", "CCD")


def _party(el: etree._Element, name: str, address: PostalAddress | None) -> None:
    _sub(el, "Nm", _text(name, 140))
    if address is None:
        return
    fields = [("StrtNm", address.street, 70), ("BldgNb", address.building_number, 16),
              ("PstCd", address.postal_code, 16), ("TwnNm", address.city, 35),
              ("CtrySubDvsn", address.region, 35)]
    present = [(tag, _text(v, n)) for tag, v, n in fields if _text(v, n)]
    country = address.country.strip().upper()
    if not present and len(country) != 2:
        return
    postal = _sub(el, "PstlAdr")
    for tag, value in present:
        _sub(postal, tag, value)
    if len(country) == 2:
        _sub(postal, "Ctry", country)


def _account(el: etree._Element, iban: str | None, account_number: str | None) -> None:
    ident = _sub(el, "Id")
    if iban:
        _sub(ident, "IBAN", IBAN(iban).compact)
    else:
        _sub(_sub(ident, "Othr"), "Id", (account_number or "").strip()[:34])


def _agent(el: etree._Element, bic: str | None, routing: str | None) -> None:
    fin = _sub(el, "FinInstnId")
    if bic:
        _sub(fin, "BICFI", BIC(bic).compact)
    elif routing:
        member = _sub(fin, "ClrSysMmbId")
        _sub(_sub(member, "ClrSysId"), "Cd", "USABA")
        _sub(member, "MmbId", routing)


def _remittance(i: PaymentInstruction) -> str:
    free = _text(i.remittance, 140)
    numbers = [_text(n, 140) for n in i.invoice_numbers if _text(n, 140)]
    if not numbers:
        return free
    text = "INV " + ", ".join(numbers)
    if len(text) > 140:
        for kept in range(len(numbers) - 1, 0, -1):
            text = "INV " + ", ".join(numbers[:kept]) + f" +{len(numbers) - kept} more"
            if len(text) <= 140:
                break
        text = text[:140]
    if free and len(text) + 2 + len(free) <= 140:
        text = f"{text}; {free}"
    return text


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    source = files("billpay.payments.rails.schemas").joinpath("pain.001.001.09.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(source))


def validate_pain001_xml(xml: bytes) -> None:
    """Validate against the shipped official XSD; ``pain001_schema_invalid`` on failure."""
    schema = _schema()
    if not schema.validate(etree.fromstring(xml)):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        raise PaymentRuleError("pain001_schema_invalid", f"The pain.001 document is not valid: {errors}")


class Pain001Rail:
    """The ``pain001`` rail: transfers delivered to the bank as a pain.001.001.09 file."""

    name = "pain001"
    methods = frozenset({"wire", "ach"})

    def __init__(self, originator: OriginatorProfile) -> None:
        self.originator = originator

    def validate(self, instruction: PaymentInstruction) -> None:
        validate_pain001_instruction(instruction)

    def submit(
        self,
        batch: Sequence[PaymentInstruction],
        today: date,
        *,
        now: datetime | None = None,
        file_sequence: int = 1,
    ) -> RailSubmission:
        prefix = "".join(c for c in ascii_fold(self.originator.company_id) if c.isalnum())[:16] or "BILLPAY"
        message_id = f"{prefix}-{today:%Y%m%d}-{file_sequence:03d}"
        doc = build_pain001(batch, self.originator, today=today, message_id=message_id, created_at=now)
        payments = tuple(
            SubmittedPayment(i.payment_id, doc.end_to_end_ids[i.payment_id], doc.execution_dates[i.payment_id],
                             doc.execution_dates[i.payment_id])
            for i in batch
        )
        file = RailFile(f"pain001-{message_id}.xml", "application/xml", doc.xml)
        return RailSubmission(self.name, today, payments, file, message_id)


def _iban(value: str, whose: str) -> IBAN:
    try:
        return IBAN(value)
    except SchwiftyException as exc:
        raise PaymentRuleError("iban_invalid", f"The IBAN for {whose} is not valid: {exc}.") from None


def _bic(value: str, whose: str) -> BIC:
    try:
        return BIC(value)
    except SchwiftyException as exc:
        raise PaymentRuleError("bic_invalid", f"The BIC for {whose} is not valid: {exc}.") from None


def _money(amount: Decimal, currency: str) -> str:
    return str(amount.quantize(Decimal(1) if currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")))


def _decimal(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _text(value: str, limit: int) -> str:
    return ascii_fold(value)[:limit]


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    if text is not None:
        el.text = text
    return el
