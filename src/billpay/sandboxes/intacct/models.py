"""``IntacctState``: everything the Intacct sandbox knows, with no HTTP in it.

One instance holds Web Services senders, companies (entities, users, records,
audit trail, recorded control ids), API sessions, ``readByQuery`` result sets,
fault settings, the governance limiter (requests in flight per company) and
request counters. Every public method takes the one ``threading.RLock``, so
the HTTP app, the in-process transport and test code may call it from any
thread.

The gateway is two steps so that governance can hold a company's slot while
injected latency passes: ``prepare(body)`` parses and authenticates (or
returns the finished failure response), ``execute(prepared, base_url)`` runs
the functions and renders the response.

The "Intacct UI" helpers (``pay_bill_elsewhere``, ``delete_bill``,
``edit_bill``, ``touch``, ``set_status``, ``create_bill_outside``) change data
the way a person in Intacct would, bypassing faults and governance.
"""
from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ...connectors.base import xmlcodec
from ..core import ControlPlaneMixin, FaultInjector, Limits, RateLimiter, RequestLog, SandboxClock, persistence
from . import bills, records, seeds
from .company import Company
from .errors import (
    AuthFault,
    ControlFault,
    IntacctError,
    bad_entity,
    bad_login,
    errormessage,
    invalid_sender,
    invalid_session,
    sender_not_authorized,
)
from .gateway import FunctionContext, Outcome, ParsedRequest, control_block, parse_request, run_functions
from .reads import ResultSet

GATEWAY_PATH = "/ia/xml/xmlgw.phtml"
#: The base performance tier: requests in flight per company.
CONCURRENT_REQUESTS = 2
MAX_RESULT_SETS = 200
_FORMAT_VERSION = 1


class UnknownCompany(KeyError):
    """No company with this id."""


@dataclass
class Session:
    session_id: str
    company_id: str
    user_id: str
    entity: str | None
    expires_at: dt.datetime


@dataclass
class Prepared:
    request: ParsedRequest
    company: Company
    session: Session


@dataclass
class Finished:
    """A response decided before any function ran (control or authentication failure)."""

    body: bytes
    company_id: str | None = None


class IntacctState(ControlPlaneMixin):
    """The Sage Intacct sandbox's data and behaviour (see module docstring)."""

    platform = "intacct"

    def __init__(self, persist_path: Path | str | None = None, *, clock: SandboxClock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or SandboxClock()
        self.faults = FaultInjector()
        self.limiter = RateLimiter(Limits(per_minute=0, concurrent=CONCURRENT_REQUESTS, batch_per_minute=0))
        self.requests = RequestLog()
        self.persist_path = Path(persist_path) if persist_path else None
        self.senders: dict[str, str] = {}
        self.companies: dict[str, Company] = {}
        self.sessions: dict[str, Session] = {}
        self.results: dict[str, ResultSet] = {}
        self.invalid_session_next = 0
        if self.persist_path is not None:
            self._load()

    # -- lifecycle ------------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.senders, self.companies, self.sessions, self.results = {}, {}, {}, {}
            self.invalid_session_next = 0
            self.faults.clear()
            self.limiter.reset(limits_too=True)
            self.requests.reset()
            self.clock.reset()
            self._save()

    # -- setup ------------------------------------------------------------------------------------------
    def register_sender(self, sender_id: str | None = None, password: str | None = None) -> tuple[str, str]:
        """A Web Services sender (a partner's credentials); returns ``(sender_id, password)``."""
        with self.lock:
            sender_id = sender_id or f"billpay_{secrets.token_hex(3)}"
            password = password or secrets.token_urlsafe(12)
            self.senders[sender_id] = password
            self._save()
            return sender_id, password

    def seed_company(self, company_id: str | None = None, *, vendors: int = 5, bills_count: int = 0,
                     name: str | None = None, senders: tuple[str, ...] = ()) -> str:
        """A multi-entity company (see ``seeds.seed``) authorizing ``senders``; returns its id."""
        with self.lock:
            company_id = company_id or f"billpay-{secrets.token_hex(4)}"
            if company_id in self.companies:
                raise ValueError(f"company {company_id} already exists")
            company = Company(company_id, name or seeds.company_name(company_id), self.now())
            company.senders.update(senders)
            seeds.seed(company, self.now(), vendors=vendors, bills=bills_count)
            self.companies[company_id] = company
            self._save()
            return company_id

    def add_user(self, company_id: str, user_id: str | None = None, password: str | None = None, *,
                 entity: str | None = None) -> tuple[str, str]:
        """A Web Services user; ``entity`` restricts it to one entity. Returns ``(user_id, password)``."""
        with self.lock:
            company = self.company(company_id)
            user_id = user_id or f"ws_{secrets.token_hex(3)}"
            password = password or secrets.token_urlsafe(12)
            company.users[user_id] = seeds.user(user_id, password, entity)
            self._save()
            return user_id, password

    def authorize_sender(self, company_id: str, sender_id: str) -> None:
        with self.lock:
            self.company(company_id).senders.add(sender_id)
            self._save()

    def revoke_sender(self, company_id: str, sender_id: str) -> None:
        """The company admin removes the sender from its Web Services authorizations."""
        with self.lock:
            self.company(company_id).senders.discard(sender_id)
            self._save()

    def company(self, company_id: str) -> Company:
        with self.lock:
            try:
                return self.companies[str(company_id)]
            except KeyError:
                raise UnknownCompany(company_id) from None

    def company_ids(self) -> list[str]:
        with self.lock:
            return list(self.companies)

    def set_company_settings(self, company_id: str, **settings: Any) -> dict:
        with self.lock:
            company = self.company(company_id)
            company.settings.update(**settings)
            self._save()
            return asdict(company.settings)

    # -- the gateway --------------------------------------------------------------------------------------
    def prepare(self, body: bytes) -> Prepared | Finished:
        """Parse and authenticate; a ``Finished`` response when the request stops there."""
        with self.lock:
            try:
                request = parse_request(body)
            except ControlFault as fault:
                return Finished(_control_failure(None, fault))
            control = request.control
            if self.senders.get(control.sender_id) != control.password:
                return Finished(_control_failure(control, invalid_sender(control.sender_id)))
            try:
                company, session = self._authenticate(request)
            except AuthFault as fault:
                login = request.login
                return Finished(_auth_failure(request, login.user_id if login else "",
                                              login.company_id if login else "", fault),
                                login.company_id if login else None)
            return Prepared(request, company, session)

    def execute(self, prepared: Prepared, base_url: str) -> tuple[bytes, Outcome]:
        with self.lock:
            company, session, now = prepared.company, prepared.session, self.now()
            session.expires_at = now + dt.timedelta(seconds=company.settings.session_seconds)
            context = FunctionContext(company, session.user_id, session.entity, now, base_url, session.session_id,
                                      self.results)
            outcome = run_functions(prepared.request, context,
                                    lambda node: self._api_session(company, session, node, base_url))
            self._trim_results()
            root = xmlcodec.build("response")
            root.append(control_block(prepared.request.control, "success"))
            operation = xmlcodec.append(root, "operation")
            operation.append(self._auth_block(company, session, now))
            for result in outcome.results:
                operation.append(result)
            if outcome.committed_writes or prepared.request.control.unique:
                self._save()
            return xmlcodec.to_bytes(root), outcome

    def _authenticate(self, request: ParsedRequest) -> tuple[Company, Session]:
        now = self.now()
        sender = request.control.sender_id
        if request.login is not None:
            login = request.login
            company = self.companies.get(login.company_id)
            user = company.users.get(login.user_id) if company else None
            if company is None or user is None or not user.active or \
                    not secrets.compare_digest(user.password, login.password):
                raise bad_login()
            if sender not in company.senders:
                raise sender_not_authorized(sender, company.company_id)
            entity = self._entity_for(company, user.entity, login.location_id)
            return company, self._new_session(company, user.user_id, entity, now)
        if self.invalid_session_next > 0:
            self.invalid_session_next -= 1
            raise invalid_session()
        session = self.sessions.get(request.session_id or "")
        if session is None or session.expires_at <= now:
            raise invalid_session()
        company = self.companies.get(session.company_id)
        if company is None:
            raise invalid_session()
        if sender not in company.senders:
            raise sender_not_authorized(sender, company.company_id)
        return company, session

    @staticmethod
    def _entity_for(company: Company, user_entity: str | None, location_id: str | None) -> str | None:
        if location_id:
            if location_id not in company.entities or user_entity not in (None, location_id):
                raise bad_entity(location_id)
            return location_id
        return user_entity

    def _new_session(self, company: Company, user_id: str, entity: str | None, now: dt.datetime) -> Session:
        session = Session(secrets.token_urlsafe(24) + "..", company.company_id, user_id, entity,
                          now + dt.timedelta(seconds=company.settings.session_seconds))
        self.sessions[session.session_id] = session
        return session

    def _api_session(self, company: Company, session: Session, node: xmlcodec.Element, base_url: str
                     ) -> xmlcodec.Element:
        location = node.find("locationid")
        if location is not None:
            user = company.users[session.user_id]
            try:
                entity = self._entity_for(company, user.entity, xmlcodec.text(location) or None)
            except AuthFault as fault:
                raise IntacctError(*fault.details) from None
            if entity != session.entity:
                session = self._new_session(company, session.user_id, entity, self.now())
        return xmlcodec.build("data", {"api": {"sessionid": session.session_id,
                                               "endpoint": base_url + GATEWAY_PATH,
                                               "locationid": session.entity or ""}})

    def _auth_block(self, company: Company, session: Session, now: dt.datetime) -> xmlcodec.Element:
        local = now.astimezone(company.tz)
        return xmlcodec.build("authentication", {
            "status": "success", "userid": session.user_id, "companyid": company.company_id,
            "locationid": session.entity or "", "sessiontimestamp": local.isoformat(timespec="seconds"),
            "sessiontimeout": session.expires_at.astimezone(dt.timezone.utc).isoformat(timespec="seconds")})

    def _trim_results(self) -> None:
        while len(self.results) > MAX_RESULT_SETS:
            self.results.pop(next(iter(self.results)))

    # -- faults, limits, clock, counters (the control plane) -----------------------------------------------
    def set_faults(self, **settings: Any) -> dict:
        """Core faults (``latency_ms``, ``fail_next``, ``throttle_next`` = GW-0010, ``timeout_after_commit``,
        ``hang_seconds``) plus ``expire_sessions: true`` (every session expires now) and
        ``invalid_session_next: N`` (the next N session sign-ins are refused as invalid)."""
        expire = settings.pop("expire_sessions", False)
        invalid = settings.pop("invalid_session_next", None)
        snapshot = self.faults.configure(**settings)
        with self.lock:
            if invalid is not None:
                self.invalid_session_next = max(int(invalid), 0)
            if expire:
                self.expire_sessions()
            return {**snapshot, "invalid_session_next": self.invalid_session_next}

    def expire_sessions(self) -> int:
        with self.lock:
            now = self.now()
            for session in self.sessions.values():
                session.expires_at = min(session.expires_at, now)
            return len(self.sessions)

    def clear_faults(self) -> dict:
        with self.lock:
            self.invalid_session_next = 0
        return self.faults.clear()

    def fault_settings(self) -> dict:
        return {**self.faults.snapshot(), "invalid_session_next": self.invalid_session_next}

    def seed_for_control(self, options: dict, base_url: str) -> dict:
        """``POST /_sandbox/seed``: a sender, a company authorizing it and a Web Services user."""
        unknown = set(options) - {"company_id", "vendors", "bills", "name", "entity_id"}
        if unknown:
            raise ValueError(f"unknown seed options: {sorted(unknown)}")
        with self.lock:
            sender_id, sender_password = self.register_sender()
            company_id = self.seed_company(options.get("company_id"), vendors=int(options.get("vendors", 5)),
                                           bills_count=int(options.get("bills", 0)), name=options.get("name"),
                                           senders=(sender_id,))
            user_id, user_password = self.add_user(company_id)
            return connection_info(base_url, sender_id, sender_password, company_id, user_id, user_password,
                                   options.get("entity_id", seeds.US_ENTITY))

    # -- the Intacct UI (test helpers) -----------------------------------------------------------------------
    def _ui(self, company_id: str, entity: str | None = None) -> records.WriteContext:
        return records.WriteContext(self.company(company_id), self.now(), "", entity)

    def get_record(self, company_id: str, obj: str, recordno: Any) -> dict | None:
        with self.lock:
            return self.company(company_id).snapshot(obj, int(recordno))

    def count(self, company_id: str, obj: str) -> int:
        with self.lock:
            return len(self.company(company_id).table(obj))

    def create_bill_outside(self, company_id: str, *, vendor_id: str, lines: list[dict], when: dt.date,
                            number: str | None = None, due: dt.date | None = None, **header: Any) -> dict:
        """A person enters a bill in Intacct; ``lines`` hold ACCOUNTNO, TRX_AMOUNT (Decimal), LOCATIONID …"""
        with self.lock:
            values = {"VENDORID": vendor_id, "WHENCREATED": when, "RECORDID": number,
                      "WHENDUE": due or when + dt.timedelta(days=30), **header}
            record = bills.create_bill(self._ui(company_id), values, {"APBILLITEMS": [dict(x) for x in lines]})
            self._save()
            return dict(record)

    def pay_bill_elsewhere(self, company_id: str, recordno: Any, *, amount: Decimal | None = None,
                           bank_account_id: str | None = None, method: str = "Printed Check") -> dict:
        """A person pays the bill in Intacct (default: its whole amount due from a bank account of its entity)."""
        with self.lock:
            company = self.company(company_id)
            bill = company.get("APBILL", recordno)
            if bill is None:
                raise KeyError(f"no bill {recordno}")
            if bank_account_id is None:
                bank_account_id = next(a["BANKACCOUNTID"] for a in company.values("CHECKINGACCOUNT")
                                       if a.get("MEGAENTITYID") in (None, bill.get("MEGAENTITYID"))
                                       and a.get("CURRENCY") == bill["CURRENCY"])
            values = {"FINANCIALENTITY": bank_account_id, "PAYMENTMETHOD": method, "VENDORID": bill["VENDORID"],
                      "PAYMENTDATE": company.local(self.now()).date(), "CURRENCY": bill["CURRENCY"]}
            details = [{"RECORDKEY": bill["RECORDNO"], "TRX_PAYMENTAMOUNT": amount or bill["TRX_TOTALDUE"]}]
            payment = bills.create_payment(self._ui(company_id), values, {"APPYMTDETAILS": details})
            self._save()
            return dict(payment)

    def delete_bill(self, company_id: str, recordno: Any) -> None:
        with self.lock:
            bills.delete_bill(self._ui(company_id), int(recordno))
            self._save()

    def edit_bill(self, company_id: str, recordno: Any, **changes: Any) -> dict:
        """A person edits the bill's header (``DESCRIPTION``, ``WHENDUE``, ``RECORDID`` …)."""
        with self.lock:
            bill = self.company(company_id).get("APBILL", recordno)
            if bill is None:
                raise KeyError(f"no bill {recordno}")
            values = {"RECORDNO": bill["RECORDNO"], "WHENDUE": bill["WHENDUE"], **changes}
            record = bills.update_bill(self._ui(company_id), values, {})
            self._save()
            return dict(record)

    def touch(self, company_id: str, obj: str, recordno: Any) -> dict:
        """Someone saves the record unchanged: only ``WHENMODIFIED`` moves."""
        with self.lock:
            company = self.company(company_id)
            record = dict(company.get(obj, recordno) or {})
            if not record:
                raise KeyError(f"no {obj} {recordno}")
            record["WHENMODIFIED"] = records.modified_at(record.get("WHENMODIFIED"), self.now())
            company.replace(obj, record, self.now())
            self._save()
            return record

    def set_status(self, company_id: str, obj: str, key: str, status: str) -> dict:
        """Make a vendor, account or dimension value ``active`` or ``inactive``."""
        with self.lock:
            company = self.company(company_id)
            record = dict(company.by_key(obj, key) or {})
            if not record:
                raise KeyError(f"no {obj} {key}")
            record["STATUS"], record["WHENMODIFIED"] = status, self.now()
            company.replace(obj, record, self.now())
            self._save()
            return record

    # -- persistence -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        with self.lock:
            return {"version": _FORMAT_VERSION, "clock": self.clock.to_dict(), "faults": self.faults.to_dict(),
                    "senders": dict(self.senders), "sessions": [asdict(s) for s in self.sessions.values()],
                    "companies": {k: c.to_dict() for k, c in self.companies.items()}}

    def _save(self) -> None:
        if self.persist_path is not None:
            persistence.save_atomically(self.persist_path, persistence.encode(self.to_dict()))

    def _load(self) -> None:
        assert self.persist_path is not None
        data = persistence.load_if_present(self.persist_path)
        if not data:
            return
        if data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{self.persist_path}: unsupported sandbox state version {data.get('version')}")
        self.clock.load(data.get("clock", {}))
        self.faults.load(data.get("faults", {}))
        self.senders = dict(data.get("senders", {}))
        self.sessions = {s["session_id"]: Session(**s) for s in data.get("sessions", [])}
        self.companies = {k: Company.from_dict(v) for k, v in data.get("companies", {}).items()}


def _control_failure(control: Any, fault: IntacctError) -> bytes:
    root = xmlcodec.build("response")
    root.append(control_block(control, "failure"))
    root.append(errormessage(fault.details))
    return xmlcodec.to_bytes(root)


def _auth_failure(request: ParsedRequest, user_id: str, company_id: str, fault: IntacctError) -> bytes:
    root = xmlcodec.build("response")
    root.append(control_block(request.control, "success"))
    operation = xmlcodec.append(root, "operation")
    xmlcodec.append(operation, "authentication", {"status": "failure", "userid": user_id, "companyid": company_id})
    operation.append(errormessage(fault.details))
    return xmlcodec.to_bytes(root)


def connection_info(base_url: str, sender_id: str, sender_password: str, company_id: str, user_id: str,
                    user_password: str, entity_id: str | None) -> dict:
    """The first line ``billpay sandbox intacct`` prints: everything a client needs to sign in."""
    base = base_url.rstrip("/")
    return {"platform": "intacct", "base_url": base, "endpoint_url": base + GATEWAY_PATH, "sender_id": sender_id,
            "sender_password": sender_password, "company_id": company_id, "user_id": user_id,
            "user_password": user_password, "entity_id": entity_id or ""}
