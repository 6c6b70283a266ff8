"""``QuickBooksState``: everything the QuickBooks sandbox knows, with no HTTP in it.

One instance holds companies (realms), OAuth clients and tokens, entities, the
change log behind CDC, remembered ``requestid`` responses, fault settings,
rate limits and request counters. Every public method takes the one
``threading.RLock``, so the HTTP app, the in-process transport and test code
may call it from any thread.

API operations (``read``, ``save``, ``query``, ``cdc``, ``batch``) raise
``QBOFault`` with QuickBooks' codes and return entities rendered as the API
returns them (money as ``Decimal``). The "QuickBooks UI" helpers
(``pay_bill_elsewhere``, ``delete_bill``, ``set_bill_memo``, ``edit_as_user``,
``deactivate_vendor``, ``touch``) change data the way a person in QuickBooks
would, bypassing faults and rate limits.

With ``persist_path`` the state is loaded from that JSON file on start and
saved after every change; ``share(lock)`` keeps it in the installation's
database instead, shared by every process (``core.shared``).
"""

from __future__ import annotations

import copy
import secrets
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from ..core import ControlPlaneMixin, FaultInjector, RateLimiter, RequestLog, SandboxClock, persistence
from . import batch as batch_ops
from . import cdc as cdc_ops
from . import errors, operations, seeds, timefmt
from . import query as query_ops
from .company import DEFAULT_USD_RATES, ENDPOINTS, ENTITIES, Company
from .entities import WriteContext
from .oauth import ACCOUNTING_SCOPE, Grant, OAuthError, TokenProblem, TokenStore

MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
_FORMAT_VERSION = 1


class UnknownCompany(KeyError):
    """No company with this realm id."""


class QuickBooksState(ControlPlaneMixin):
    """The QuickBooks Online sandbox's data and behaviour (see module docstring)."""

    platform = "quickbooks"

    def __init__(self, persist_path: Path | str | None = None, *, clock: SandboxClock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or SandboxClock()
        self.faults = FaultInjector()
        self.limiter = RateLimiter()
        self.requests = RequestLog()
        self.persist_path = Path(persist_path) if persist_path else None
        self.companies: dict[str, Company] = {}
        self.tokens = TokenStore()
        # Built-in use: an organization key -> its own company and app ({"realm_id", "client_id"}).
        self.provisioned: dict[str, dict] = {}
        self._shared = False
        if self.persist_path is not None:
            self._load()

    # --- lifecycle -------------------------------------------------------------

    def reset(self) -> None:
        """Forget every company, client, token, fault, limit and counter."""
        with self.lock:
            self.companies = {}
            self.tokens = TokenStore()
            self.provisioned = {}
            self.faults.clear()
            self.limiter.reset(limits_too=True)
            self.requests.reset()
            self.clock.reset()
            self._save()

    def response_time(self, realm_id: str | None = None) -> str:
        """The ``time`` field of a response, in the company's time zone."""
        company = self.companies.get(realm_id or "")
        tz = company.tz if company else timefmt.zone(timefmt.DEFAULT_TIMEZONE)
        return timefmt.response_time(self.now(), tz)

    # --- companies -------------------------------------------------------------

    def seed_company(
        self, realm_id: str | None = None, *, vendors: int = 5, bills: int = 0, name: str | None = None
    ) -> str:
        """Create a company with accounts (expense, A/P, checking, credit card),
        classes, locations, terms "Due on receipt"/"Net 15"/"Net 30"/"Net 60",
        ``vendors`` vendors and ``bills`` open bills. Returns the realm id."""
        with self.lock:
            realm_id = str(realm_id) if realm_id else self._new_realm_id()
            if realm_id in self.companies:
                raise ValueError(f"company {realm_id} already exists")
            company = Company(realm_id, name or seeds.pick_company_name(realm_id), self.now())
            company.info = seeds.company_info(company)
            self.companies[realm_id] = company
            seeds.seed(self._context(company), vendors=vendors, bills=bills)
            self._save()
            return realm_id

    def company(self, realm_id: str) -> Company:
        with self.lock:
            try:
                return self.companies[str(realm_id)]
            except KeyError:
                raise UnknownCompany(realm_id) from None

    def provision(self, org_key: str, *, name: str | None = None, vendors: int = 5, bills: int = 0
                  ) -> tuple[str, str, str]:
        """The company and app of ``org_key`` (made on first use): ``(realm_id, client_id, client_secret)``.

        Each organization of an installation gets its own company; its app's consent page offers only it."""
        with self.lock:
            entry = self.provisioned.get(org_key)
            if entry is None or entry["realm_id"] not in self.companies or entry["client_id"] not in self.tokens.clients:
                realm_id = self.seed_company(name=name, vendors=vendors, bills=bills)
                client_id, _ = self.register_client(realms=[realm_id])
                entry = self.provisioned[org_key] = {"realm_id": realm_id, "client_id": client_id}
                self._save()
            client = self.tokens.clients[entry["client_id"]]
            return entry["realm_id"], client.client_id, client.client_secret

    def realm_ids(self) -> list[str]:
        with self.lock:
            return list(self.companies)

    def set_company_settings(self, realm_id: str, **settings: Any) -> dict:
        """Change company preferences, e.g. ``book_close_date="2024-12-31"`` or
        ``duplicate_doc_number_check=False``."""
        with self.lock:
            company = self.company(realm_id)
            company.settings.update(**settings)
            self._save()
            return company.preferences()

    def set_exchange_rate(self, realm_id: str, currency: str, rate: Decimal | str,
                          as_of: date | str | None = None) -> dict:
        """The company's rate of ``currency`` in home currency from ``as_of`` on (None: for every date without a
        later dated one), as the currency center of QuickBooks holds it."""
        with self.lock:
            company = self.company(realm_id)
            key = "" if as_of is None else (as_of if isinstance(as_of, str) else as_of.isoformat())
            company.exchange_rates.setdefault(currency.upper(), {})[key] = Decimal(str(rate))
            self._save()
            return self.exchange_rate(realm_id, currency, timefmt.parse_date(key) if key else self.now().date())

    def exchange_rate(self, realm_id: str, currency: str | None, as_of: date | None = None) -> dict:
        """``GET /exchangerate?sourcecurrencycode=&asofdate=``: the ``ExchangeRate`` entity."""
        with self.lock:
            company = self.company(realm_id)
            if not currency:
                raise errors.required_param("sourcecurrencycode", element="sourcecurrencycode")
            day = as_of or self.now().date()
            code = currency.upper()
            if code not in DEFAULT_USD_RATES and code not in company.exchange_rates:
                raise errors.invalid_reference("Currency", code, element="sourcecurrencycode")
            stamp = timefmt.entity_time(self.now(), company.tz)
            return {"SourceCurrencyCode": code, "TargetCurrencyCode": company.settings.home_currency,
                    "Rate": company.exchange_rate(code, day), "AsOfDate": day.isoformat(), "SyncToken": "0",
                    "domain": "QBO", "sparse": False, "MetaData": {"LastUpdatedTime": stamp}}

    # --- OAuth -----------------------------------------------------------------

    def register_client(
        self,
        redirect_uris: list[str] | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        realms: list[str] | None = None,
    ) -> tuple[str, str]:
        """A new OAuth app; returns ``(client_id, client_secret)``. Without
        ``redirect_uris`` any redirect URI is accepted; ``realms`` limits the
        companies its consent page offers (default: every company)."""
        with self.lock:
            client = self.tokens.register_client(
                redirect_uris, client_id=client_id, client_secret=client_secret, realms=realms
            )
            self._save()
            return client.client_id, client.client_secret

    def issue_refresh_token(self, client_id: str, realm_id: str) -> str:
        """A refresh token connecting ``client_id`` to ``realm_id`` (consent already given)."""
        with self.lock:
            self.company(realm_id)
            token = self.tokens.issue_refresh_token(client_id, realm_id, self.now())
            self._save()
            return token

    def issue_tokens(self, client_id: str, realm_id: str) -> dict:
        """A complete token response (access + refresh) for a new connection."""
        with self.lock:
            self.company(realm_id)
            response = self.tokens.issue_tokens(client_id, realm_id, self.now())
            self._save()
            return response

    def authorize(self, client_id: str, redirect_uri: str, scope: str, realm_id: str) -> str:
        """The user consented on the authorize page: returns an authorization code."""
        with self.lock:
            client = self.tokens.client(client_id)
            if client is None:
                raise OAuthError("invalid_client", "Unknown client_id", status=401)
            if not self.tokens.redirect_allowed(client, redirect_uri):
                raise OAuthError("invalid_request", "redirect_uri is not registered for this app")
            self.company(realm_id)
            code = self.tokens.create_code(
                client, realm_id, redirect_uri, scope or ACCOUNTING_SCOPE, self.now()
            )
            self._save()
            return code

    def token_grant(self, client_id: str | None, client_secret: str | None, form: dict[str, str]) -> dict:
        """The token endpoint: ``authorization_code`` and ``refresh_token`` grants."""
        with self.lock:
            client = self.tokens.authenticate_client(client_id, client_secret)
            grant_type = form.get("grant_type")
            now = self.now()
            if grant_type == "authorization_code":
                response = self.tokens.exchange_code(client, form.get("code"), form.get("redirect_uri"), now)
            elif grant_type == "refresh_token":
                response = self.tokens.refresh(client, form.get("refresh_token"), now)
            else:
                raise OAuthError("unsupported_grant_type")
            self.tokens.purge_expired(now)
            self._save()
            return response

    def revoke_token(self, client_id: str | None, client_secret: str | None, token: str | None) -> None:
        with self.lock:
            client = self.tokens.authenticate_client(client_id, client_secret)
            self.tokens.revoke(client, token)
            self._save()

    def authenticate(self, access_token: str | None, realm_id: str | None = None) -> Grant:
        """The grant behind a bearer token; raises ``AuthFault`` (401, or 403 for another company)."""
        with self.lock:
            try:
                grant = self.tokens.check_access_token(access_token, realm_id, self.now())
            except TokenProblem as problem:
                raise errors.AuthFault(problem.status, problem.detail) from None
            if realm_id is not None and realm_id not in self.companies:
                raise errors.AuthFault(403, "The company does not exist")
            return grant

    def expire_access_tokens(self) -> int:
        with self.lock:
            count = self.tokens.expire_access_tokens(self.now())
            self._save()
            return count

    # --- API operations ----------------------------------------------------------

    def read(self, realm_id: str, entity: str, entity_id: str) -> dict:
        with self.lock:
            company = self.company(realm_id)
            name = _entity_name(entity)
            if name in ("CompanyInfo", "Preferences"):
                return company.company_info() if name == "CompanyInfo" else company.preferences()
            return company.render(name, company.require(name, entity_id))

    def save(
        self,
        realm_id: str,
        entity: str,
        data: Any,
        *,
        operation: str | None = None,
        include: str | None = None,
    ) -> dict:
        """``POST /{entity}`` semantics: create, update (full or ``"sparse": true``),
        ``operation="delete"``, or void with ``operation="update", include="void"``.
        ``include`` may also carry ``allowduplicatedocnum``."""
        with self.lock:
            company = self.company(realm_id)
            name = _entity_name(entity)
            includes = {p.strip().lower() for p in (include or "").split(",")}
            ctx = self._context(company, allow_duplicate_doc_number="allowduplicatedocnum" in includes)
            self._maybe_lose_race(company, name, data)
            result = operations.save(ctx, name, data, operation=operation, include=include)
            self._save()
            if result.get("status") == "Deleted":
                return result
            return company.render(name, result)

    def create(self, realm_id: str, entity: str, data: dict, **kw: Any) -> dict:
        return self.save(realm_id, entity, {k: v for k, v in data.items() if k != "Id"}, **kw)

    def update(self, realm_id: str, entity: str, data: dict) -> dict:
        return self.save(realm_id, entity, data, operation="update")

    def delete(self, realm_id: str, entity: str, entity_id: str, sync_token: str) -> dict:
        return self.save(realm_id, entity, {"Id": entity_id, "SyncToken": sync_token}, operation="delete")

    def void(self, realm_id: str, entity: str, entity_id: str, sync_token: str) -> dict:
        data = {"Id": entity_id, "SyncToken": sync_token, "sparse": True}
        return self.save(realm_id, entity, data, operation="update", include="void")

    def query(self, realm_id: str, text: str) -> dict:
        """The ``QueryResponse`` object for a query (``{}`` for an empty page)."""
        with self.lock:
            return query_ops.run(self.company(realm_id), text)

    def cdc(self, realm_id: str, entities: str | None, changed_since: str | None) -> dict:
        with self.lock:
            return cdc_ops.run(self.company(realm_id), entities, changed_since, self.now())

    def batch(self, realm_id: str, body: Any) -> dict:
        """The ``{"BatchItemResponse": [...]}`` body (without ``time``)."""
        with self.lock:
            items = batch_ops.validate(body)

            def save(entity: str, data: dict, operation: str | None, include: str | None) -> dict:
                return self.save(realm_id, entity, data, operation=operation, include=include)

            return {"BatchItemResponse": batch_ops.run(items, save, lambda text: self.query(realm_id, text))}

    def preferences(self, realm_id: str) -> dict:
        with self.lock:
            return self.company(realm_id).preferences()

    def company_info(self, realm_id: str) -> dict:
        with self.lock:
            return self.company(realm_id).company_info()

    def idempotent(
        self, realm_id: str, request_id: str | None, execute: Callable[[], dict], *, batch: bool = False
    ) -> tuple[int, dict, bool]:
        """Run a write at most once per ``(realm, requestid)``.

        Returns ``(status, body, replayed)``. The body of the first execution
        (success, or a 400 fault the service produced) is remembered for the
        life of the state and returned verbatim for a repeated ``requestid``.
        Throttles, auth failures and injected faults never reach this point, so
        they are not remembered.
        """
        with self.lock:
            company = self.company(realm_id)
            if request_id:
                limit = MAX_BATCH_REQUEST_ID if batch else MAX_REQUEST_ID
                if len(request_id) > limit:
                    fault = errors.business_validation(
                        f"You cannot enter more than {limit} characters in the request_id field. "
                        f"You tried entering {request_id[:10]}..., which is {len(request_id)} characters."
                    )
                    return fault.status, fault.body(self.response_time(realm_id)), False
                remembered = company.replies.get(request_id)
                if remembered is not None:
                    return remembered["status"], copy.deepcopy(remembered["body"]), True
            try:
                status, body = 200, {**execute(), "time": self.response_time(realm_id)}
            except errors.QBOFault as fault:
                if fault.status != 400:
                    raise
                status, body = fault.status, fault.body(self.response_time(realm_id))
            if request_id:
                company.replies[request_id] = {"status": status, "body": copy.deepcopy(body)}
                self._save()
            return status, body, False

    # --- faults, limits, clock, counters (the control plane) --------------------

    def set_faults(self, **settings: Any) -> dict:
        """Fault settings (see ``core.faults``) plus ``expire_tokens=True``, which
        expires every access token issued so far."""
        expire = settings.pop("expire_tokens", False)
        snapshot = self.faults.configure(**settings)
        if expire:
            self.expire_access_tokens()
        return snapshot

    def clear_faults(self) -> dict:
        return self.faults.clear()

    def fault_settings(self) -> dict:
        return self.faults.snapshot()

    def seed_for_control(self, options: dict, base_url: str) -> dict:
        """``POST /_sandbox/seed``: a company plus an app connected to it."""
        unknown = set(options) - {"realm_id", "vendors", "bills", "name", "redirect_uri"}
        if unknown:
            raise ValueError(f"unknown seed options: {sorted(unknown)}")
        with self.lock:
            realm_id = self.seed_company(
                options.get("realm_id"),
                vendors=int(options.get("vendors", 5)),
                bills=int(options.get("bills", 0)),
                name=options.get("name"),
            )
            client_id, client_secret = self.register_client()
            return {
                **connection_info(base_url, client_id, client_secret, options.get("redirect_uri")),
                "realm_id": realm_id,
                "company_name": self.companies[realm_id].name,
                "refresh_token": self.issue_refresh_token(client_id, realm_id),
            }

    # --- the QuickBooks UI (test helpers) -----------------------------------------

    def get_entity(self, realm_id: str, entity: str, entity_id: str) -> dict | None:
        with self.lock:
            company = self.company(realm_id)
            name = _entity_name(entity)
            record = company.get(name, entity_id)
            return None if record is None else company.render(name, record)

    def edit_as_user(self, realm_id: str, entity: str, entity_id: str, changes: dict) -> dict:
        """A person edits the record in QuickBooks (a sparse update with the current SyncToken)."""
        with self.lock:
            company = self.company(realm_id)
            name = _entity_name(entity)
            current = company.require(name, entity_id)
            data = {**changes, "Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True}
            stored = operations.update(self._context(company, allow_duplicate_doc_number=True), name, data)
            self._save()
            return company.render(name, stored)

    def set_bill_memo(self, realm_id: str, bill_id: str, memo: str) -> dict:
        return self.edit_as_user(realm_id, "Bill", bill_id, {"PrivateNote": memo})

    def deactivate_vendor(self, realm_id: str, vendor_id: str) -> dict:
        return self.edit_as_user(realm_id, "Vendor", vendor_id, {"Active": False})

    def touch(self, realm_id: str, entity: str, entity_id: str) -> dict:
        """Save the record unchanged, as another user would: SyncToken + 1."""
        with self.lock:
            company = self.company(realm_id)
            name = _entity_name(entity)
            stored = company.touch(name, entity_id, self.now())
            self._save()
            return company.render(name, stored)

    def delete_bill(self, realm_id: str, bill_id: str) -> None:
        with self.lock:
            company = self.company(realm_id)
            bill = company.require("Bill", bill_id)
            operations.delete(
                self._context(company), "Bill", {"Id": bill["Id"], "SyncToken": bill["SyncToken"]}
            )
            self._save()

    def pay_bill_elsewhere(
        self,
        realm_id: str,
        bill_id: str,
        *,
        amount: Decimal | str | None = None,
        pay_type: str = "Check",
        account_id: str | None = None,
        txn_date: str | None = None,
    ) -> dict:
        """A person records a payment for the bill in QuickBooks (default: its whole balance
        by check from the first bank account). Returns the BillPayment."""
        with self.lock:
            company = self.company(realm_id)
            bill = company.require("Bill", bill_id)
            value = Decimal(str(amount)) if amount is not None else bill["Balance"]
            wanted_type = "Bank" if pay_type == "Check" else "Credit Card"
            if account_id is None:
                account_id = next(
                    a["Id"]
                    for a in company.values("Account")
                    if a["AccountType"] == wanted_type and a.get("Active", True)
                )
            data: dict[str, Any] = {
                "VendorRef": bill["VendorRef"],
                "PayType": pay_type,
                "TotalAmt": value,
                "Line": [{"Amount": value, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
            }
            if pay_type == "Check":
                data["CheckPayment"] = {"BankAccountRef": {"value": account_id}}
            else:
                data["CreditCardPayment"] = {"CCAccountRef": {"value": account_id}}
            if txn_date:
                data["TxnDate"] = txn_date
            stored = operations.create(self._context(company), "BillPayment", data)
            self._save()
            return company.render("BillPayment", stored)

    # --- persistence ---------------------------------------------------------------

    def to_dict(self) -> dict:
        with self.lock:
            return {
                "version": _FORMAT_VERSION,
                "clock": self.clock.to_dict(),
                "faults": self.faults.to_dict(),
                "tokens": self.tokens.to_dict(),
                "companies": {k: c.to_dict() for k, c in self.companies.items()},
                "provisioned": dict(self.provisioned),
            }

    def share(self, lock: Any | None) -> None:
        """Keep this state in step with every process of the installation: ``lock`` is a
        ``core.shared.SharedLock`` that reloads it before and stores it after each change (None: this process
        alone again, e.g. a benchmark that keeps the demo's storage out of its figures)."""
        self.lock, self._shared = (lock, True) if lock is not None else (threading.RLock(), False)

    def _save(self) -> None:
        if self._shared:
            self.lock.changed()
        elif self.persist_path is not None:
            persistence.save_atomically(self.persist_path, persistence.encode(self.to_dict()))

    def _load(self) -> None:
        assert self.persist_path is not None
        self.restore(persistence.load_if_present(self.persist_path))

    def restore(self, data: dict | None, *, shared: bool = False) -> None:
        """Replace the state with ``data`` (``to_dict``; None: empty). ``shared``: another process wrote it, and
        this process keeps its own fault settings."""
        if not data:
            self.companies, self.tokens, self.provisioned = {}, TokenStore(), {}
            self.clock.reset()
            return
        if data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"unsupported sandbox state version {data.get('version')}")
        self.clock.load(data.get("clock", {}))
        if not shared:
            self.faults.load(data.get("faults", {}))
        self.tokens = TokenStore.from_dict(data.get("tokens", {}))
        self.companies = {k: Company.from_dict(v) for k, v in data.get("companies", {}).items()}
        self.provisioned = dict(data.get("provisioned", {}))

    # --- helpers ---------------------------------------------------------------

    def _maybe_lose_race(self, company: Company, entity: str, data: Any) -> None:
        """Fault ``stale_next``: another user saves the record just before this write."""
        if not isinstance(data, dict) or data.get("Id") in (None, ""):
            return
        if company.get(entity, data["Id"]) is not None and self.faults.take_stale():
            company.touch(entity, str(data["Id"]), self.now())
            self._save()

    def _context(self, company: Company, *, allow_duplicate_doc_number: bool = False) -> WriteContext:
        return WriteContext(company, self.now(), allow_duplicate_doc_number)

    def _new_realm_id(self) -> str:
        while True:
            realm_id = "9341" + "".join(secrets.choice("0123456789") for _ in range(12))
            if realm_id not in self.companies:
                return realm_id


def connection_info(
    base_url: str, client_id: str, client_secret: str, redirect_uri: str | None = None
) -> dict:
    """The URLs and credentials a client needs, for a sandbox served at ``base_url``."""
    base = base_url.rstrip("/")
    return {
        "platform": "quickbooks",
        "base_url": base,
        "api_base_url": f"{base}/v3",
        "token_url": f"{base}/oauth2/v1/tokens/bearer",
        "authorize_url": f"{base}/connect/oauth2",
        "revoke_url": f"{base}/v2/oauth2/tokens/revoke",
        "discovery_url": f"{base}/.well-known/openid_configuration",
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri or f"{base}/_sandbox/oauth/callback",
    }


def _entity_name(entity: str) -> str:
    if entity in ENTITIES or entity in ("CompanyInfo", "Preferences"):
        return entity
    name = ENDPOINTS.get(entity.lower()) or {"companyinfo": "CompanyInfo", "preferences": "Preferences"}.get(
        entity.lower()
    )
    if name is None:
        raise errors.unsupported_operation(f"for entity {entity}")
    return name
