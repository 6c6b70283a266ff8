"""ACH return reason codes R01–R29, in words an AP team understands.

Each code has a short ``title`` (the Nacha name), a plain ``description`` and
a ``category`` saying who must act:

``bank_details``  the vendor's bank details are wrong or no longer usable —
                  ask the vendor for new details (and verify them) before
                  paying again;
``receiver``      the vendor or the vendor's bank refused or froze the entry;
``authorization`` the receiver says the entry was not authorized;
``funds``         money was not available (debits only);
``originator``    our side asked for the return (ODFI request);
``file``          something in the entry or file was malformed — a fix on
                  our side or our bank's, not the vendor's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from billpay.payments.errors import PaymentRuleError

__all__ = [
    "BANK_DETAILS_RETURN_CODES",
    "RETURN_CODES",
    "ReturnCode",
    "describe_return",
    "is_bank_details_problem",
]

Category = Literal["bank_details", "receiver", "authorization", "funds", "originator", "file"]


@dataclass(frozen=True)
class ReturnCode:
    code: str
    title: str
    description: str
    category: Category

    @property
    def bank_details_wrong(self) -> bool:
        """True when the vendor's bank details must be corrected before paying again."""
        return self.category == "bank_details"


def _rc(code: str, title: str, description: str, category: Category) -> tuple[str, ReturnCode]:
    return code, ReturnCode(code, title, description, category)


RETURN_CODES: dict[str, ReturnCode] = dict(
    [
        _rc("R01", "Insufficient funds", "The account did not have enough money to cover the entry.", "funds"),
        _rc("R02", "Account closed", "The vendor's bank account has been closed.", "bank_details"),
        _rc(
            "R03",
            "No account/unable to locate account",
            "The vendor's bank could not find an account with that number and name.",
            "bank_details",
        ),
        _rc(
            "R04",
            "Invalid account number structure",
            "The account number is not in a format the vendor's bank uses.",
            "bank_details",
        ),
        _rc(
            "R05",
            "Unauthorized debit to consumer account using corporate SEC code",
            "A business-type debit reached a consumer account without authorization.",
            "authorization",
        ),
        _rc("R06", "Returned per ODFI's request", "Our bank asked for the entry to be returned.", "originator"),
        _rc(
            "R07",
            "Authorization revoked by customer",
            "The account holder withdrew the authorization for this entry.",
            "authorization",
        ),
        _rc("R08", "Payment stopped", "The account holder placed a stop payment on this entry.", "receiver"),
        _rc("R09", "Uncollected funds", "The balance was there but not yet available.", "funds"),
        _rc(
            "R10",
            "Customer advises originator is not known and/or not authorized",
            "The account holder does not recognize us or never authorized the entry.",
            "authorization",
        ),
        _rc(
            "R11",
            "Customer advises entry not in accordance with the terms of the authorization",
            "The account holder says the entry does not match what they authorized.",
            "authorization",
        ),
        _rc(
            "R12",
            "Account sold to another DFI",
            "The vendor's account moved to a different bank; the routing number is out of date.",
            "bank_details",
        ),
        _rc(
            "R13",
            "Invalid ACH routing number",
            "The routing number does not belong to a bank that accepts ACH entries.",
            "bank_details",
        ),
        _rc(
            "R14",
            "Representative payee deceased or unable to continue in that capacity",
            "The person receiving payments on the account holder's behalf can no longer do so.",
            "receiver",
        ),
        _rc("R15", "Beneficiary or account holder deceased", "The account holder has died.", "receiver"),
        _rc(
            "R16",
            "Account frozen/entry returned per OFAC instruction",
            "The vendor's account is frozen, or the entry was stopped on sanctions instructions.",
            "receiver",
        ),
        _rc(
            "R17",
            "File record edit criteria",
            "The vendor's bank could not process a field of the entry (for example an account "
            "number it considers invalid or questionable).",
            "bank_details",
        ),
        _rc(
            "R18",
            "Improper effective entry date",
            "The effective date of the entry was wrong (too far ahead or invalid).",
            "file",
        ),
        _rc("R19", "Amount field error", "The amount field was invalid (zero, or not allowed).", "file"),
        _rc(
            "R20",
            "Non-transaction account",
            "The vendor's account cannot receive ACH entries (for example a savings or loan "
            "account with restrictions).",
            "bank_details",
        ),
        _rc(
            "R21",
            "Invalid company identification",
            "Our company identification in the entry was not accepted.",
            "file",
        ),
        _rc("R22", "Invalid individual ID number", "The receiver identification number was not accepted.", "file"),
        _rc(
            "R23",
            "Credit entry refused by receiver",
            "The vendor refused the payment (for example a wrong amount, or they did not expect it).",
            "receiver",
        ),
        _rc(
            "R24",
            "Duplicate entry",
            "The vendor's bank saw this entry as a duplicate of one already received.",
            "file",
        ),
        _rc("R25", "Addenda error", "An addenda (remittance) record was malformed.", "file"),
        _rc("R26", "Mandatory field error", "A required field of the entry was missing or invalid.", "file"),
        _rc("R27", "Trace number error", "The trace number was missing or did not match.", "file"),
        _rc(
            "R28",
            "Routing number check digit error",
            "The routing number's check digit is wrong: the routing number was mistyped.",
            "bank_details",
        ),
        _rc(
            "R29",
            "Corporate customer advises not authorized",
            "The receiving business says it did not authorize this entry.",
            "authorization",
        ),
    ]
)

BANK_DETAILS_RETURN_CODES = frozenset(c for c, rc in RETURN_CODES.items() if rc.bank_details_wrong)


def describe_return(code: str) -> ReturnCode:
    """The entry for ``code`` (case-insensitive); ``unknown_return_code`` otherwise."""
    key = (code or "").strip().upper()
    try:
        return RETURN_CODES[key]
    except KeyError:
        raise PaymentRuleError(
            "unknown_return_code", f"{code!r} is not an ACH return code (R01–R29)."
        ) from None


def is_bank_details_problem(code: str) -> bool:
    """True when a return with ``code`` means the vendor's bank details are wrong."""
    return describe_return(code).bank_details_wrong
