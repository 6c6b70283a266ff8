"""``BusinessCentralState``: everything the Business Central sandbox knows, with no HTTP in it.

One instance holds Entra ID (app registrations, the token signing key), tenants with their
environments (each with its companies and its **Microsoft Entra Applications** cards), fault
settings, the per-user request limits (5 requests in flight, 6,000 per 5 minutes), request
counters and the clock. Every public method takes the one ``threading.RLock``.

The "Business Central UI" helpers at the end (``create_invoice``, ``pay_invoice``,
``cancel_invoice``, ``edit_invoice``, ``block_vendor`` …) change data the way a person in BC
would, bypassing faults and limits; tests and the control plane use them.

With ``persist_path`` the state is loaded from that JSON file on start and saved after changes.
"""

from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..core import FaultInjector, Limits, RateLimiter, RequestLog, SandboxClock, persistence
from . import documents as docs
from . import errors, ledger, seeds
from .company import Company
from .identity import APP_ROLES, Directory, Principal, TokenProblem

_FORMAT_VERSION = 1
#: Business Central online: 6,000 OData requests per 5-minute window and 5 in flight, per user.
DEFAULT_LIMITS = {"per_minute": 6000, "window_seconds": 300, "concurrent": 5, "batch_per_minute": 0}
MAX_PAGE_SIZE = 20_000
WRITE_SETS = ("D365 AUTOMATION", "D365 BUS FULL ACCESS", "D365 ACCOUNTANTS")
READ_SETS = WRITE_SETS + ("D365 READ",)


@dataclass
class Environment:
    tenant_id: str
    name: str
    type: str = "Production"
    companies: dict[str, Company] = field(default_factory=dict)
    #: The "Microsoft Entra Applications" page: client id -> {"state", "permission_sets", "description"}.
    apps: dict[str, dict] = field(default_factory=dict)


@dataclass
class Tenant:
    id: str
    domain: str
    environments: dict[str, Environment] = field(default_factory=dict)


class BusinessCentralState:
    """The Business Central sandbox's data and behaviour (see module docstring)."""

    platform = "business_central"

    def __init__(self, persist_path: Path | str | None = None, *, clock: SandboxClock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or SandboxClock()
        self.faults = FaultInjector()
        self.limiter = RateLimiter(Limits(**DEFAULT_LIMITS))
        self.requests = RequestLog()
        self.directory = Directory()
        self.tenants: dict[str, Tenant] = {}
        self.page_size = MAX_PAGE_SIZE
        #: Built-in sandbox: organization key -> company id.
        self.org_companies: dict[str, str] = {}
        self.persist_path = Path(persist_path) if persist_path else None
        if self.persist_path is not None:
            self._load()

    # -- lifecycle ----------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.directory = Directory()
            self.tenants = {}
            self.org_companies = {}
            self.page_size = MAX_PAGE_SIZE
            self.faults.clear()
            self.limiter.reset(limits_too=True)
            self.requests.reset()
            self.clock.reset()
            self.save()

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.now().date()

    # -- tenants, environments, companies, apps -------------------------------------------------------
    def create_tenant(self, domain: str | None = None, tenant_id: str | None = None) -> str:
        with self.lock:
            tid = tenant_id or str(uuid.uuid4())
            self.tenants[tid] = Tenant(tid, domain or f"sandbox{len(self.tenants) + 1}.onmicrosoft.com")
            self.save()
            return tid

    def create_environment(self, tenant_id: str, name: str = "production", type_: str = "Production") -> str:
        with self.lock:
            tenant = self.tenants[tenant_id]
            tenant.environments.setdefault(name, Environment(tenant_id, name, type_))
            self.save()
            return name

    def create_company(self, tenant_id: str, environment: str, name: str | None = None, *, vendors: int = 5,
                       company_id: str | None = None) -> str:
        with self.lock:
            env = self.environment(tenant_id, environment)
            cid = company_id or str(uuid.uuid4())
            company = Company(cid, name or f"CRONUS USA {len(env.companies) + 1}", environment, self.now())
            seeds.seed(company, self.now(), vendors=vendors)
            env.companies[cid] = company
            self.save()
            return cid

    def register_app(self, tenant_id: str, display_name: str = "billpay", *, consent: bool = True) -> tuple[str, str]:
        """An Entra app registration with a client secret; ``consent`` grants ``API.ReadWrite.All``."""
        with self.lock:
            app, secret = self.directory.register(tenant_id, display_name, consent=consent)
            self.save()
            return app.client_id, secret

    def grant_consent(self, client_id: str, roles: tuple[str, ...] = ("API.ReadWrite.All",)) -> None:
        with self.lock:
            unknown = set(roles) - set(APP_ROLES)
            if unknown:
                raise ValueError(f"unknown application permissions: {sorted(unknown)}")
            self.directory.require(client_id).roles = list(roles)
            self.save()

    def set_bc_app(self, tenant_id: str, environment: str, client_id: str, *, state: str = "Enabled",
                   permission_sets: tuple[str, ...] = ("D365 AUTOMATION",), description: str = "billpay") -> dict:
        """The app's card on the environment's **Microsoft Entra Applications** page."""
        with self.lock:
            if "SUPER" in permission_sets:
                raise ValueError("The SUPER permission set cannot be assigned to an application.")
            unknown = set(permission_sets) - set(READ_SETS)
            if unknown:
                raise ValueError(f"unknown permission sets: {sorted(unknown)}; known: {', '.join(READ_SETS)}")
            if state not in ("Enabled", "Disabled"):
                raise ValueError("state is Enabled or Disabled")
            env = self.environment(tenant_id, environment)
            card = {"state": state, "permission_sets": list(permission_sets), "description": description}
            env.apps[client_id] = card
            self.save()
            return card

    def remove_bc_app(self, tenant_id: str, environment: str, client_id: str) -> None:
        with self.lock:
            self.environment(tenant_id, environment).apps.pop(client_id, None)
            self.save()

    def environment(self, tenant_id: str, name: str) -> Environment:
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            raise errors.unauthorized(f"The tenant '{tenant_id}' is not known.", tenant=tenant_id)
        env = tenant.environments.get(name)
        if env is None:
            raise errors.environment_not_found(name)
        return env

    def locate(self, company_id: str) -> tuple[Tenant, Environment, Company]:
        for tenant in self.tenants.values():
            for env in tenant.environments.values():
                company = env.companies.get(str(company_id).lower())
                if company is not None:
                    return tenant, env, company
        raise errors.company_not_found(company_id)

    def company(self, company_id: str) -> Company:
        return self.locate(company_id)[2]

    def seed(self, base_url: str, *, vendors: int = 5, environment: str = "production", name: str | None = None,
             tenant_id: str | None = None) -> dict:
        """A tenant (or the given one), an environment, a seeded company and an enabled app: the connection info."""
        with self.lock:
            tid = tenant_id if tenant_id in self.tenants else self.create_tenant(tenant_id=tenant_id)
            self.create_environment(tid, environment, "Sandbox" if environment != "production" else "Production")
            cid = self.create_company(tid, environment, name, vendors=vendors)
            client_id, secret = self.register_app(tid)
            self.set_bc_app(tid, environment, client_id)
            return connection_info(base_url, tid, environment, cid, client_id, secret)

    # -- auth --------------------------------------------------------------------------------------------
    def token_grant(self, tenant: str, form: dict[str, str], client_id: str | None, secret: str | None) -> dict:
        with self.lock:
            known = tenant in self.tenants or any(t.domain == tenant for t in self.tenants.values())
            if not known:
                tenant = next((t.id for t in self.tenants.values() if t.domain == tenant), tenant)
            return self.directory.token(tenant, form, client_id, secret, self.now(), known)

    def issue_refresh_token(self, client_id: str, tenant_id: str) -> str:
        with self.lock:
            token = self.directory.issue_refresh_token(client_id, tenant_id)
            self.save()
            return token

    def authenticate(self, token: str | None, tenant_hint: str | None, environment: str,
                     *, write: bool) -> tuple[Principal, Environment]:
        """The principal behind a bearer token for an API call (401/403 as BC answers them)."""
        with self.lock:
            try:
                principal = self.directory.principal(token, self.now())
            except TokenProblem as problem:
                raise errors.unauthorized(problem.reason, tenant=tenant_hint) from None
            if tenant_hint and tenant_hint not in (principal.tenant_id, self.tenants.get(principal.tenant_id,
                                                                                          Tenant("", "")).domain):
                raise errors.unauthorized("The access token was issued for another tenant.", tenant=tenant_hint)
            env = self.environment(principal.tenant_id, environment)
            if principal.delegated:
                return principal, env
            if not set(principal.roles) & set(APP_ROLES):
                raise errors.unauthorized("The application has no permission to the Business Central API: grant "
                                          "API.ReadWrite.All with admin consent.", tenant=principal.tenant_id)
            card = env.apps.get(principal.client_id)
            if card is None or card["state"] != "Enabled":
                raise errors.unauthorized("The server has rejected the client credentials: the application is not "
                                          "enabled on the Microsoft Entra Applications page.",
                                          tenant=principal.tenant_id)
            if write and not set(card["permission_sets"]) & set(WRITE_SETS):
                raise errors.forbidden("You do not have the following permissions on TableData Purchase Header: "
                                       "Insert. To view details about your permissions, see the Effective "
                                       "Permissions page.")
            return principal, env

    # -- faults, limits, clock, counters (control plane) -------------------------------------------------
    def set_faults(self, **settings: Any) -> dict:
        """Core fault settings plus ``expire_tokens=True`` (every access token issued so far expires)
        and ``page_size`` (the server's page size, 20,000 in BC)."""
        expire = settings.pop("expire_tokens", False)
        page_size = settings.pop("page_size", None)
        snapshot = self.faults.configure(**settings)
        with self.lock:
            if expire:
                self.directory.expire_tokens()
            if page_size is not None:
                if int(page_size) < 1:
                    raise ValueError("page_size must be >= 1")
                self.page_size = int(page_size)
            self.save()
        return {**snapshot, "page_size": self.page_size}

    def clear_faults(self) -> dict:
        self.page_size = MAX_PAGE_SIZE
        return self.faults.clear()

    def fault_settings(self) -> dict:
        return {**self.faults.snapshot(), "page_size": self.page_size}

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.directory.expire_tokens()
            self.save()

    def set_limits(self, **limits: Any) -> dict:
        return self.limiter.configure(**limits)

    def limits(self) -> dict:
        return self.limiter.snapshot()

    def advance_clock(self, seconds: float) -> dict:
        with self.lock:
            self.clock.advance(seconds)
            self.save()
            return self.clock_info()

    def clock_info(self) -> dict:
        return {"now": self.now().isoformat(), "offset_seconds": self.clock.offset_seconds}

    def request_stats(self, recent: int = 50) -> dict:
        return self.requests.snapshot(recent=recent)

    def reset_request_stats(self) -> None:
        self.requests.reset()

    def seed_for_control(self, options: dict, base_url: str) -> dict:
        """``POST /_sandbox/seed``: ``{"vendors", "environment", "name", "tenant_id"}``."""
        unknown = set(options) - {"vendors", "environment", "name", "tenant_id"}
        if unknown:
            raise ValueError(f"unknown seed options: {sorted(unknown)}")
        return self.seed(base_url, vendors=int(options.get("vendors", 5)),
                         environment=str(options.get("environment", "production")), name=options.get("name"),
                         tenant_id=options.get("tenant_id"))

    # -- the Business Central UI (test helpers) --------------------------------------------------------
    def create_invoice(self, company_id: str, vendor_id: str, lines: list[tuple[str, Decimal | str, str]], *,
                       invoice_date: date | None = None, vendor_invoice_number: str, due_date: date | None = None,
                       currency: str | None = None, post: bool = True) -> dict:
        """A person enters (and posts) a purchase invoice; ``lines`` are (account id, amount, description)."""
        with self.lock:
            c, now = self.company(company_id), self.now()
            body: dict[str, Any] = {"vendorId": vendor_id, "vendorInvoiceNumber": vendor_invoice_number,
                                    "invoiceDate": (invoice_date or self.today()).isoformat()}
            if due_date:
                body["dueDate"] = due_date.isoformat()
            if currency:
                body["currencyCode"] = currency
            body["purchaseInvoiceLines"] = [{"lineType": "Account", "accountId": a, "quantity": 1,
                                             "unitCost": Decimal(str(amount)), "description": d}
                                            for a, amount, d in lines]
            invoice = docs.create_document(c, "purchaseInvoices", body, now, self.today())
            if post:
                ledger.post_invoice(c, invoice, now)
            self.save()
            return invoice

    def pay_invoice(self, company_id: str, invoice_id: str, *, amount: Decimal | None = None,
                    journal_code: str = "MANUAL") -> str:
        """A person records a payment in a payment journal and posts it; returns its document number."""
        with self.lock:
            c, now = self.company(company_id), self.now()
            invoice = c.require("purchaseInvoices", invoice_id)
            entry = c.require("vendorLedgerEntries", invoice["id"])
            journal = c.find("journals", code=journal_code)
            line = ledger.create_payment(c, journal, {"appliesToInvoiceId": invoice["id"],
                                                      "amount": amount if amount is not None else entry["remaining"]},
                                         now, self.today())
            ledger.post_journal(c, journal, now)
            self.save()
            return line["documentNumber"]

    def cancel_invoice(self, company_id: str, invoice_id: str) -> dict:
        with self.lock:
            c = self.company(company_id)
            memo = ledger.cancel_invoice(c, c.require("purchaseInvoices", invoice_id), self.now(), self.today())
            self.save()
            return memo

    def delete_draft(self, company_id: str, invoice_id: str) -> None:
        with self.lock:
            c = self.company(company_id)
            docs.delete_document(c, "purchaseInvoices", c.require("purchaseInvoices", invoice_id))
            self.save()

    def edit_invoice(self, company_id: str, invoice_id: str, *, due_date: date | None = None,
                     memo: str | None = None) -> dict:
        """A person changes the due date (on a posted invoice: on its vendor ledger entry) or the
        comment line that carries the memo."""
        with self.lock:
            c, now = self.company(company_id), self.now()
            invoice = c.require("purchaseInvoices", invoice_id)
            if due_date is not None:
                invoice["dueDate"] = due_date
                entry = c.get("vendorLedgerEntries", invoice["id"])
                if entry is not None:
                    entry["dueDate"] = due_date
            if memo is not None:
                comment = next((ln for ln in c.children("purchaseInvoiceLines", invoice["id"])
                                if ln["lineType"] == "Comment" and not str(ln.get("description", "")).startswith(
                                    "billpay:")), None)
                if comment is None:
                    comment = c.insert("purchaseInvoiceLines", {
                        "documentId": invoice["id"], "sequence": 1, "lineType": "Comment", "description": memo,
                        "quantity": Decimal(0), "unitCost": Decimal(0)}, now)
                comment["description"] = memo[:100]
                c.touch("purchaseInvoiceLines", comment["_key"], now)
            c.touch("purchaseInvoices", invoice["_key"], now)
            self.save()
            return invoice

    def touch(self, company_id: str, table: str, record_id: str) -> dict:
        with self.lock:
            c = self.company(company_id)
            record = c.touch(table, c.require(table, record_id)["_key"], self.now())
            self.save()
            return record

    def block_vendor(self, company_id: str, vendor_id: str, blocked: str = "All") -> dict:
        with self.lock:
            c = self.company(company_id)
            vendor = c.require("vendors", vendor_id)
            vendor["blocked"] = blocked
            c.touch("vendors", vendor["_key"], self.now())
            self.save()
            return vendor

    def set_posting_range(self, company_id: str, allow_from: date | None, allow_to: date | None) -> None:
        with self.lock:
            self.company(company_id).settings.update(allow_posting_from=allow_from, allow_posting_to=allow_to)
            self.save()

    def invoices(self, company_id: str, *, include_canceled: bool = False) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(r) for r in self.company(company_id).rows("purchaseInvoices")
                    if include_canceled or r.get("status") != "Canceled"]

    def posted_payments(self, company_id: str) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(e) for e in self.company(company_id).rows("vendorLedgerEntries")
                    if e["documentType"] == "Payment"]

    def seed_open_invoices(self, company_id: str, count: int, *, start: date, amount: Decimal = Decimal("100.00"),
                           spread_days: int = 28) -> int:
        """``count`` posted open invoices (two lines each) spread over vendors and invoice dates (benchmarks)."""
        with self.lock:
            c = self.company(company_id)
            vendors = [v for v in c.rows("vendors") if v.get("blocked") == " "]
            accounts = [a for a in c.rows("accounts") if a["category"] == "Expense" and a["accountType"] == "Posting"
                        and not a["blocked"]]
            half = (amount / 2).quantize(Decimal("0.01"))
            for n in range(count):
                self.create_invoice(company_id, vendors[n % len(vendors)]["id"],
                                    [(accounts[0]["id"], half, "Services"), (accounts[1]["id"], amount - half, "Goods")],
                                    invoice_date=start + timedelta(days=n % max(1, spread_days)),
                                    vendor_invoice_number=f"SEED-{n:06d}")
            return count

    # -- persistence ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        with self.lock:
            return {
                "version": _FORMAT_VERSION, "clock": self.clock.to_dict(), "faults": self.faults.to_dict(),
                "directory": self.directory.to_dict(), "org_companies": self.org_companies,
                "tenants": [{"id": t.id, "domain": t.domain, "environments": [
                    {"name": e.name, "type": e.type, "apps": e.apps,
                     "companies": [c.to_dict() for c in e.companies.values()]}
                    for e in t.environments.values()]} for t in self.tenants.values()],
            }

    def save(self) -> None:
        if self.persist_path is not None:
            with self.lock:
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
        self.directory = Directory.from_dict(data.get("directory", {}))
        self.org_companies = dict(data.get("org_companies", {}))
        for raw in data.get("tenants", []):
            tenant = Tenant(raw["id"], raw["domain"])
            for env_raw in raw.get("environments", []):
                env = Environment(tenant.id, env_raw["name"], env_raw.get("type", "Production"),
                                  apps=dict(env_raw.get("apps", {})))
                for company_raw in env_raw.get("companies", []):
                    company = Company.from_dict(company_raw)
                    env.companies[company.id] = company
                tenant.environments[env.name] = env
            self.tenants[tenant.id] = tenant


def connection_info(base_url: str, tenant_id: str, environment: str, company_id: str, client_id: str,
                    client_secret: str) -> dict:
    """What a client needs to connect (the first line ``billpay sandbox business_central`` prints)."""
    base = base_url.rstrip("/")
    return {"platform": "business_central", "base_url": base, "tenant_id": tenant_id, "environment": environment,
            "company_id": company_id, "client_id": client_id, "client_secret": client_secret,
            "token_url": f"{base}/{tenant_id}/oauth2/v2.0/token", "authority_host": base}
