"""One QuickBooks company (realm): its entities, id sequences, change log and
remembered ``requestid`` responses. Plain data plus bookkeeping; the rules for
what a valid entity is live in ``entities.py`` and the write operations in
``operations.py``.

Records are stored in wire shape with two differences: money is ``Decimal``
and ``MetaData`` holds timezone-aware datetimes (precise to the microsecond, so
change-data-capture never misses a change made in the same second as a
bookmark). ``render()`` turns a record into what the API returns.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterator

from . import errors, timefmt

NAME_LISTS = ("Vendor", "Account", "Class", "Department", "Term")
TRANSACTIONS = ("Bill", "BillPayment", "VendorCredit")
ENTITIES = NAME_LISTS + TRANSACTIONS
ENDPOINTS = {name.lower(): name for name in ENTITIES}

# Transactions share one id sequence, as QuickBooks transaction ids do; class ids
# are long numbers in QuickBooks, which catches code that treats ids as small ints.
_SEQUENCE = {"Bill": "txn", "BillPayment": "txn", "VendorCredit": "txn", "Class": "Class"}
_SEQUENCE_START = {"txn": 100, "Class": 5000000000000000001}

DELETED_SUFFIX = " (deleted)"


def mask_tax_id(value: str) -> str:
    """Tax ids are masked on read, as QuickBooks does (all but the last four characters)."""
    text = str(value)
    return "X" * max(len(text) - 4, 0) + text[-4:]


@dataclass
class CompanySettings:
    """Company preferences the sandbox honours."""

    book_close_date: str | None = None  # "YYYY-MM-DD": books closed on and before this date
    duplicate_doc_number_check: bool = True  # reject a bill number already used for the vendor
    home_currency: str = "USD"
    multicurrency: bool = False  # once on, QuickBooks never turns it off; the sandbox lets tests do so
    timezone: str = timefmt.DEFAULT_TIMEZONE
    track_departments: bool = True
    department_terminology: str = "Location"
    class_tracking_per_line: bool = True

    def update(self, **changes: Any) -> None:
        for key, value in changes.items():
            if key not in self.__dataclass_fields__:
                raise ValueError(f"unknown company setting: {key}")
            if key == "book_close_date" and value is not None:
                value = timefmt.parse_date(str(value)).isoformat()
            setattr(self, key, value)


#: Units of US dollars per unit of a currency: the sandbox's currency center when no rate was set.
DEFAULT_USD_RATES = {"USD": Decimal("1"), "EUR": Decimal("1.0800"), "GBP": Decimal("1.2700"),
                     "CAD": Decimal("0.7400")}


@dataclass
class Change:
    seq: int
    at: datetime
    entity: str
    id: str
    op: str  # create | update | delete | void


@dataclass
class Company:
    realm_id: str
    name: str
    created_at: datetime
    settings: CompanySettings = field(default_factory=CompanySettings)
    info: dict = field(default_factory=dict)
    records: dict[str, dict[str, dict]] = field(default_factory=lambda: {e: {} for e in ENTITIES})
    sequences: dict[str, int] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    replies: dict[str, dict] = field(default_factory=dict)  # requestid -> {"status", "body"}
    # currency -> {as-of date ("" for every date) -> rate in home currency}
    exchange_rates: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    @property
    def tz(self):  # noqa: ANN201 - tzinfo
        return timefmt.zone(self.settings.timezone)

    # --- reading -----------------------------------------------------------

    def get(self, entity: str, entity_id: Any) -> dict | None:
        return self.records[entity].get(str(entity_id))

    def require(self, entity: str, entity_id: Any) -> dict:
        record = self.get(entity, entity_id)
        if record is None:
            raise errors.object_not_found(entity)
        return record

    def values(self, entity: str) -> Iterator[dict]:
        return iter(list(self.records[entity].values()))

    def exchange_rate(self, currency: str, as_of: date) -> Decimal:
        """The rate of ``currency`` in home currency on ``as_of``: the latest one set on or before that date, else
        the currency center's (``DEFAULT_USD_RATES``, crossed through the dollar)."""
        home = self.settings.home_currency
        if currency == home:
            return Decimal("1")
        rates = self.exchange_rates.get(currency, {})
        dated = sorted(d for d in rates if d and d <= as_of.isoformat())
        if dated:
            return rates[dated[-1]]
        if "" in rates:
            return rates[""]
        if currency not in DEFAULT_USD_RATES or home not in DEFAULT_USD_RATES:
            raise errors.business_validation(f"There is no exchange rate for {currency} on {as_of.isoformat()}.")
        return (DEFAULT_USD_RATES[currency] / DEFAULT_USD_RATES[home]).quantize(Decimal("0.000001"))

    def default_ap_account_id(self) -> str | None:
        for account in self.values("Account"):
            if account.get("AccountType") == "Accounts Payable" and account.get("Active", True):
                return account["Id"]
        return None

    # --- writing -----------------------------------------------------------

    def next_id(self, entity: str) -> str:
        sequence = _SEQUENCE.get(entity, entity)
        value = self.sequences.get(sequence, _SEQUENCE_START.get(sequence, 1))
        self.sequences[sequence] = value + 1
        return str(value)

    def insert(self, entity: str, record: dict, at: datetime) -> dict:
        entity_id = self.next_id(entity)
        stored = {"Id": entity_id, "SyncToken": "0", "domain": "QBO", "sparse": False, **record}
        stored["Id"], stored["SyncToken"] = entity_id, "0"
        stored["MetaData"] = {"CreateTime": at, "LastUpdatedTime": at}
        self.records[entity][entity_id] = stored
        self._log(at, entity, entity_id, "create")
        return stored

    def replace(self, entity: str, record: dict, at: datetime, op: str = "update") -> dict:
        """Store a new version of an existing record: SyncToken + 1, new LastUpdatedTime."""
        entity_id = str(record["Id"])
        old = self.records[entity][entity_id]
        record["SyncToken"] = str(int(old["SyncToken"]) + 1)
        record["MetaData"] = {"CreateTime": old["MetaData"]["CreateTime"], "LastUpdatedTime": at}
        record.setdefault("domain", "QBO")
        record["sparse"] = False
        self.records[entity][entity_id] = record
        self._log(at, entity, entity_id, op)
        return record

    def touch(self, entity: str, entity_id: str, at: datetime) -> dict:
        """A new version with the same content (another user saved it)."""
        return self.replace(entity, copy.deepcopy(self.require(entity, entity_id)), at)

    def remove(self, entity: str, entity_id: str, at: datetime) -> None:
        del self.records[entity][str(entity_id)]
        self._log(at, entity, str(entity_id), "delete")

    def _log(self, at: datetime, entity: str, entity_id: str, op: str) -> None:
        seq = self.changes[-1].seq + 1 if self.changes else 1
        self.changes.append(Change(seq, at, entity, entity_id, op))

    # --- rendering ---------------------------------------------------------

    def render(self, entity: str, record: dict) -> dict:
        out = copy.deepcopy(record)
        meta = out.get("MetaData", {})
        out["MetaData"] = {k: timefmt.entity_time(v, self.tz) for k, v in meta.items()}
        if entity == "Vendor":
            out["Balance"] = self.vendor_balance(record["Id"])
            if out.get("TaxIdentifier"):
                out["TaxIdentifier"] = mask_tax_id(out["TaxIdentifier"])
        return out

    def render_deleted(self, entity_id: str, at: datetime) -> dict:
        return {
            "status": "Deleted",
            "domain": "QBO",
            "Id": entity_id,
            "MetaData": {"LastUpdatedTime": timefmt.entity_time(at, self.tz)},
        }

    def vendor_balance(self, vendor_id: str) -> Decimal:
        total = Decimal("0")
        for bill in self.records["Bill"].values():
            if bill.get("VendorRef", {}).get("value") == vendor_id:
                total += bill.get("Balance", Decimal("0"))
        return total

    def preferences(self) -> dict:
        s = self.settings
        accounting: dict[str, Any] = {
            "TrackDepartments": s.track_departments,
            "DepartmentTerminology": s.department_terminology,
            "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": s.class_tracking_per_line,
            "CustomerTerminology": "Customers",
            "FirstMonthOfFiscalYear": "January",
            "UseAccountNumbers": False,
        }
        if s.book_close_date:
            accounting["BookCloseDate"] = s.book_close_date
        ap = self.default_ap_account_id()
        if ap:
            accounting["DefaultAPAccount"] = {"value": ap}
        return {
            "AccountingInfoPrefs": accounting,
            "VendorAndPurchasesPrefs": {"TrackingByCustomer": True, "BillableExpenseTracking": True},
            "CurrencyPrefs": {
                "MultiCurrencyEnabled": s.multicurrency,
                "HomeCurrency": {"value": s.home_currency},
            },
            "OtherPrefs": {
                "NameValue": [
                    {"Name": "WarnDuplicateBillNumber", "Value": str(s.duplicate_doc_number_check).lower()}
                ]
            },
            "domain": "QBO",
            "sparse": False,
            "Id": "1",
            "SyncToken": "0",
            "MetaData": {
                "CreateTime": timefmt.entity_time(self.created_at, self.tz),
                "LastUpdatedTime": timefmt.entity_time(self.created_at, self.tz),
            },
        }

    def company_info(self) -> dict:
        return {
            "CompanyName": self.name,
            "LegalName": self.info.get("LegalName", self.name),
            "CompanyAddr": self.info.get("CompanyAddr", {}),
            "Country": self.info.get("Country", "US"),
            "Email": self.info.get("Email", {}),
            "FiscalYearStartMonth": "January",
            "SupportedLanguages": "en",
            "domain": "QBO",
            "sparse": False,
            "Id": "1",
            "SyncToken": "0",
            "MetaData": {
                "CreateTime": timefmt.entity_time(self.created_at, self.tz),
                "LastUpdatedTime": timefmt.entity_time(self.created_at, self.tz),
            },
        }

    # --- persistence -------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "realm_id": self.realm_id,
            "name": self.name,
            "created_at": self.created_at,
            "settings": asdict(self.settings),
            "info": self.info,
            "records": self.records,
            "sequences": self.sequences,
            "changes": [asdict(c) for c in self.changes],
            "replies": self.replies,
            "exchange_rates": self.exchange_rates,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Company":
        company = cls(
            realm_id=data["realm_id"],
            name=data["name"],
            created_at=data["created_at"],
            settings=CompanySettings(**data.get("settings", {})),
            info=data.get("info", {}),
            sequences=data.get("sequences", {}),
            changes=[Change(**c) for c in data.get("changes", [])],
            replies=data.get("replies", {}),
            exchange_rates=data.get("exchange_rates", {}),
        )
        for entity in ENTITIES:
            company.records[entity] = data.get("records", {}).get(entity, {})
        return company
