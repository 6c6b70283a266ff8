"""One Intacct company: entities, Web Services users, authorized senders, records, audit trail,
recorded control ids. Plain data plus bookkeeping; what a valid record is lives in ``records.py``.

Records are stored by object name and ``RECORDNO`` with money as ``Decimal``,
dates as ``date`` and timestamps as timezone-aware UTC datetimes. Timestamps
are written back in the company's time zone without an offset, as Intacct
does ("Dates in Sage Intacct do not have associated timezones").

Every change goes through ``insert``/``replace``/``remove`` so that an
operation with ``transaction="true"`` can be rolled back (``begin``/``rollback``)
and the audit trail (``AUDITHISTORY``) sees creates, changes and deletions.
"""
from __future__ import annotations

import copy
import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from . import schema

TIMESTAMP_FORMAT = "%m/%d/%Y %H:%M:%S"
#: Objects whose creates, changes and deletions the audit trail records.
AUDITED = ("APBILL", "APPYMT", "VENDOR")


@dataclass
class Entity:
    id: str
    name: str
    currency: str
    recordno: int


@dataclass
class User:
    user_id: str
    password: str
    #: None: a top-level user who may also sign in to any entity; otherwise the one entity.
    entity: str | None = None
    active: bool = True


@dataclass
class CompanySettings:
    timezone: str = "America/Los_Angeles"
    #: Session lifetime in seconds; each call made before it ends extends it.
    session_seconds: int = 3600
    #: Books closed on and before this date (``mm/dd/yyyy`` transaction dates refused).
    closed_through: dt.date | None = None
    #: Refuse a second bill with the same bill number for one vendor.
    unique_bill_numbers: bool = True

    def update(self, **changes: Any) -> None:
        for key, value in changes.items():
            if key not in self.__dataclass_fields__:
                raise ValueError(f"unknown company setting: {key}")
            if key == "closed_through" and isinstance(value, str):
                value = dt.date.fromisoformat(value)
            if key == "timezone":
                ZoneInfo(str(value))
            setattr(self, key, value)


@dataclass
class Company:
    company_id: str
    name: str
    created_at: dt.datetime
    base_currency: str = "USD"
    settings: CompanySettings = field(default_factory=CompanySettings)
    entities: dict[str, Entity] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    senders: set[str] = field(default_factory=set)
    #: User-defined dimensions: object name -> label (lines carry ``GLDIM<name>``).
    udds: dict[str, str] = field(default_factory=dict)
    #: Exchange rates to the company's base currency, by currency (``Intacct Daily Rate``).
    rates: dict[str, Decimal] = field(default_factory=dict)
    records: dict[str, dict[int, dict]] = field(default_factory=dict)
    sequence: int = 0
    #: ``sender|function control id`` of every function completed under ``uniqueid=true``.
    controls: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._keys: dict[str, dict[str, int]] = {}
        #: (VENDORID, RECORDID) -> RECORDNO of AP bills, for the duplicate bill number check.
        self._bill_numbers: dict[tuple[str, str], int] = {}
        self._undo: list[Callable[[], None]] | None = None
        self._reindex()

    # -- time --------------------------------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def local(self, moment: dt.datetime) -> dt.datetime:
        """A UTC instant as the company's wall clock (naive, as Intacct writes timestamps)."""
        return moment.astimezone(self.tz).replace(tzinfo=None)

    def timestamp_text(self, moment: dt.datetime | None) -> str:
        return "" if moment is None else self.local(moment).strftime(TIMESTAMP_FORMAT)

    def parse_timestamp(self, text: str) -> dt.datetime:
        """``MM/DD/YYYY HH:MM:SS`` (or a date) on the company's clock -> a UTC instant."""
        text = text.strip()
        for fmt in (TIMESTAMP_FORMAT, "%m/%d/%Y %H:%M", "%m/%d/%Y"):
            try:
                naive = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            return naive.replace(tzinfo=self.tz).astimezone(dt.timezone.utc)
        raise ValueError(f"'{text}' is not a timestamp in the format MM/DD/YYYY HH:MM:SS")

    # -- entities ------------------------------------------------------------------------------
    @property
    def multi_entity(self) -> bool:
        return bool(self.entities)

    def entity_of_location(self, location_id: str | None) -> str | None:
        """The entity a location belongs to (an entity is its own); None for unknown locations."""
        seen = set()
        while location_id and location_id not in seen:
            if location_id in self.entities:
                return location_id
            seen.add(location_id)
            record = self.by_key("LOCATION", location_id)
            location_id = record.get("PARENTID") if record else None
        return None

    def base_currency_of(self, entity: str | None) -> str:
        return self.entities[entity].currency if entity in self.entities else self.base_currency

    # -- reading -------------------------------------------------------------------------------
    def table(self, obj: str) -> dict[int, dict]:
        return self.records.setdefault(obj, {})

    def get(self, obj: str, recordno: Any) -> dict | None:
        try:
            return self.table(obj).get(int(recordno))
        except (TypeError, ValueError):
            return None

    def by_key(self, obj: str, key_value: str | None) -> dict | None:
        if key_value in (None, ""):
            return None
        recordno = self._keys.get(obj, {}).get(str(key_value))
        return None if recordno is None else self.table(obj).get(recordno)

    def values(self, obj: str) -> Iterator[dict]:
        return iter(list(self.table(obj).values()))

    @staticmethod
    def visible(record: dict, entity: str | None) -> bool:
        """A top-level session sees every record; an entity session its own and the shared ones."""
        owner = record.get("MEGAENTITYID")
        return entity is None or owner in (None, "", entity)

    # -- writing -------------------------------------------------------------------------------
    def next_recordno(self) -> int:
        self.sequence += 1
        return self.sequence

    def insert(self, obj: str, record: dict, at: dt.datetime, user: str = "") -> dict:
        recordno = record.setdefault("RECORDNO", self.next_recordno())
        self.table(obj)[recordno] = record
        self._index(obj, record)
        self._journal(lambda: self._drop(obj, recordno))
        self._audit(obj, record, "Created", at, user)
        return record

    def replace(self, obj: str, record: dict, at: dt.datetime, user: str = "", *, audit: bool = True) -> dict:
        recordno = int(record["RECORDNO"])
        old = self.table(obj)[recordno]
        self.table(obj)[recordno] = record
        self._unindex(obj, old)
        self._index(obj, record)
        self._journal(lambda: self._put_back(obj, old, record))
        if audit:
            self._audit(obj, record, "Modified", at, user)
        return record

    def remove(self, obj: str, recordno: int, at: dt.datetime, user: str = "") -> dict:
        old = self.table(obj).pop(int(recordno))
        self._unindex(obj, old)
        self._journal(lambda: self._put_back(obj, old, None))
        self._audit(obj, old, "Deleted", at, user)
        return old

    def record_control(self, key: str) -> None:
        self.controls.add(key)
        self._journal(lambda: self.controls.discard(key))

    # -- transactions (operation transaction="true") -------------------------------------------
    def begin(self) -> None:
        self._undo = []

    def commit(self) -> None:
        self._undo = None

    def rollback(self) -> None:
        undo, self._undo = self._undo or [], None
        for step in reversed(undo):
            step()

    def _journal(self, step: Callable[[], None]) -> None:
        if self._undo is not None:
            self._undo.append(step)

    def _drop(self, obj: str, recordno: int) -> None:
        record = self.table(obj).pop(recordno, None)
        if record is not None:
            self._unindex(obj, record)

    def _put_back(self, obj: str, old: dict, current: dict | None) -> None:
        if current is not None:
            self._unindex(obj, current)
        self.table(obj)[int(old["RECORDNO"])] = old
        self._index(obj, old)

    def _audit(self, obj: str, record: dict, mode: str, at: dt.datetime, user: str) -> None:
        if obj not in AUDITED:
            return
        entry = {"RECORDNO": self.next_recordno(), "OBJECTTYPE": obj.lower(), "OBJECTKEY": str(record["RECORDNO"]),
                 "OBJECTDESC": str(record.get("RECORDID") or record.get("NAME") or record["RECORDNO"]),
                 "USERID": user, "ACCESSTIME": at, "ACCESSMODE": mode, "SOURCE": "api" if user else "ui",
                 "MEGAENTITYID": record.get("MEGAENTITYID")}
        self.table("AUDITHISTORY")[entry["RECORDNO"]] = entry
        self._journal(lambda: self.table("AUDITHISTORY").pop(entry["RECORDNO"], None))

    # -- key index -------------------------------------------------------------------------------
    def _key_field(self, obj: str) -> str | None:
        definition = schema.STANDARD.get(obj)
        if definition is not None:
            return None if definition.key == "RECORDNO" else definition.key
        return "ID" if obj in self.udds else None

    def bill_with_number(self, vendor_id: str, number: str) -> dict | None:
        recordno = self._bill_numbers.get((vendor_id, number))
        return None if recordno is None else self.table("APBILL").get(recordno)

    def _index(self, obj: str, record: dict) -> None:
        if obj == "APBILL" and record.get("RECORDID"):
            self._bill_numbers[(str(record.get("VENDORID")), str(record["RECORDID"]))] = int(record["RECORDNO"])
        key = self._key_field(obj)
        if key and record.get(key) not in (None, ""):
            self._keys.setdefault(obj, {})[str(record[key])] = int(record["RECORDNO"])

    def _unindex(self, obj: str, record: dict) -> None:
        if obj == "APBILL" and record.get("RECORDID"):
            self._bill_numbers.pop((str(record.get("VENDORID")), str(record["RECORDID"])), None)
        key = self._key_field(obj)
        if key and record.get(key) not in (None, ""):
            self._keys.get(obj, {}).pop(str(record[key]), None)

    def _reindex(self) -> None:
        self._keys, self._bill_numbers = {}, {}
        for obj, table in self.records.items():
            for record in table.values():
                self._index(obj, record)

    # -- persistence -------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "company_id": self.company_id, "name": self.name, "created_at": self.created_at,
            "base_currency": self.base_currency, "settings": asdict(self.settings),
            "entities": {k: asdict(v) for k, v in self.entities.items()},
            "users": {k: asdict(v) for k, v in self.users.items()}, "senders": sorted(self.senders),
            "udds": dict(self.udds), "rates": dict(self.rates),
            "records": {obj: list(table.values()) for obj, table in self.records.items()},
            "sequence": self.sequence, "controls": sorted(self.controls),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Company":
        company = cls(
            company_id=data["company_id"], name=data["name"], created_at=data["created_at"],
            base_currency=data.get("base_currency", "USD"), settings=CompanySettings(**data.get("settings", {})),
            entities={k: Entity(**v) for k, v in data.get("entities", {}).items()},
            users={k: User(**v) for k, v in data.get("users", {}).items()}, senders=set(data.get("senders", [])),
            udds=dict(data.get("udds", {})), rates=dict(data.get("rates", {})),
            records={obj: {int(r["RECORDNO"]): r for r in rows} for obj, rows in data.get("records", {}).items()},
            sequence=int(data.get("sequence", 0)), controls=set(data.get("controls", [])),
        )
        return company

    def snapshot(self, obj: str, recordno: int) -> dict | None:
        record = self.get(obj, recordno)
        return None if record is None else copy.deepcopy(record)
