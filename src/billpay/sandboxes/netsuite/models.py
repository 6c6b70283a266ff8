"""``NetSuiteState``: everything the NetSuite sandbox knows, with no HTTP in it.

One instance holds accounts (OneWorld companies), integration records and
tokens, fault settings, the concurrency governor, request counters and the
clock. Every public method takes the one ``threading.RLock``, so the HTTP app,
the in-process transport and test code may call it from any thread.

API operations (``read``, ``write``, ``remove``, ``listing``, ``suiteql``) raise
``NsError`` with NetSuite's codes. The "NetSuite UI" helpers (``edit_as_user``,
``pay_bill_elsewhere``, ``delete_record``, ``touch``, ``create_as_user``) change
data the way a person in NetSuite would, bypassing faults and governance.

With ``persist_path`` the state is loaded from that JSON file on start and
saved after every change; ``share(lock)`` keeps it in the installation's
database instead, shared by every process (``core.shared``).
"""

from __future__ import annotations

import secrets
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..core import FaultInjector, Limits, RateLimiter, RequestLog, SandboxClock, persistence
from . import errors, records, seeds, suiteql, tables, transactions
from .account import Account
from .auth import AuthStore, Grant, normalize_account

#: Standard service tier: 5 requests in flight per account (SOAP, REST and RESTlets together).
DEFAULT_CONCURRENCY = 5
MAX_PAGE = 1000
MAX_RESULTS = 100_000
_FORMAT_VERSION = 1


class UnknownAccount(KeyError):
    """No account with this id."""


class NetSuiteState:
    """The NetSuite sandbox's data and behaviour (see module docstring)."""

    platform = "netsuite"

    def __init__(self, persist_path: Path | str | None = None, *, clock: SandboxClock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or SandboxClock()
        self.faults = FaultInjector()
        self.limiter = RateLimiter(Limits(per_minute=0, concurrent=DEFAULT_CONCURRENCY, batch_per_minute=0))
        self.requests = RequestLog()
        self.persist_path = Path(persist_path) if persist_path else None
        self.accounts: dict[str, Account] = {}
        self.auth = AuthStore()
        self.private_keys: dict[str, str] = {}   # consumer key -> private key PEM handed out at provisioning
        self.upserts_of_existing = 0             # PUT eid: calls that found the record already there
        self._last_query: tuple[tuple, list[dict]] | None = None
        self._shared = False
        if self.persist_path is not None:
            self._load()

    # --- lifecycle ---------------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.accounts, self.auth, self.private_keys = {}, AuthStore(), {}
            self.upserts_of_existing = 0
            self.faults.clear()
            self.limiter.reset(limits_too=True)
            self.requests.reset()
            self.clock.reset()
            self._save()

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.now().date()

    # --- accounts and credentials -------------------------------------------------------------------------
    def seed_account(self, account_id: str | None = None, *, vendors: int = 5, name: str | None = None) -> str:
        with self.lock:
            account_id = normalize_account(account_id) if account_id else self._new_account_id()
            if account_id in self.accounts:
                raise ValueError(f"account {account_id} already exists")
            acct = Account(account_id, name or "Honeycomb Holdings (OneWorld)", self.now())
            seeds.seed(acct, self.now(), vendors=vendors)
            self.accounts[account_id] = acct
            self._save()
            return account_id

    def account(self, account_id: str) -> Account:
        with self.lock:
            try:
                return self.accounts[normalize_account(account_id)]
            except KeyError:
                raise UnknownAccount(account_id) from None

    def account_ids(self) -> list[str]:
        with self.lock:
            return list(self.accounts)

    def credentials(self, account_id: str, base_url: str) -> dict:
        """A new integration record + TBA token + mapped certificate for ``account_id``: the connection body."""
        with self.lock:
            acct = self.account(account_id)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()).decode()
            public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            certificate_id = secrets.token_urlsafe(24)
            integration = self.auth.add_integration(acct.account_id, public_pem, certificate_id)
            token = self.auth.issue_tba_token(integration)
            self.private_keys[integration.consumer_key] = private_pem
            self._save()
            return connection_info(base_url, acct.account_id, integration.consumer_key,
                                   integration.consumer_secret, token.token_id, token.secret,
                                   integration.client_id, certificate_id, private_pem)

    # --- authentication -------------------------------------------------------------------------------------
    def authenticate(self, header: str, *, method: str, base_url: str, query: list[tuple[str, str]],
                     body: bytes) -> Grant:
        with self.lock:
            scheme = header.strip().split(" ", 1)[0].lower()
            if scheme == "oauth":
                grant = self.auth.verify_tba(header=header, method=method, base_url=base_url, query=query,
                                             body=body, now=self.now())
            elif scheme == "bearer":
                grant = self.auth.verify_bearer(header.strip()[7:].strip(), self.now())
            else:
                raise errors.invalid_login("no Authorization header")
            if grant.account_id not in self.accounts:
                raise errors.invalid_login("the account does not exist")
            return grant

    def token_grant(self, form: dict[str, str], token_url: str) -> dict:
        with self.lock:
            response = self.auth.client_credentials(form, token_url, self.now())
            self._save()
            return response

    def expire_access_tokens(self) -> int:
        with self.lock:
            count = self.auth.expire_access_tokens(self.now())
            self._save()
            return count

    def revoke_tokens(self, account_id: str | None = None) -> int:
        with self.lock:
            count = self.auth.revoke_account(normalize_account(account_id) if account_id else None)
            self._save()
            return count

    # --- API operations ---------------------------------------------------------------------------------------
    def read(self, account_id: str, rtype: str, key: str) -> tuple[str, dict]:
        with self.lock:
            rtype = records.record_type(rtype)
            return rtype, dict(self.account(account_id).locate(rtype, key))

    def write(self, account_id: str, rtype: str, key: str | None, data: Any, *, method: str,
              replace: set[str], strict_names: bool) -> tuple[str, str]:
        """POST (``key`` None), PATCH (internal id or ``eid:``) or PUT ``eid:`` upsert; returns (type, id)."""
        with self.lock:
            rtype = records.record_type(rtype)
            acct = self.account(account_id)
            body = records.normalize(rtype, data, acct.resolve)
            if strict_names and body.unknown:
                raise errors.unknown_property(body.unknown[0])
            current: dict | None = None
            if method == "PUT":
                if not key or not key.lower().startswith("eid:"):
                    raise errors.invalid_request("You can only use the upsert operation with an external ID in "
                                                 "the request URL (eid:<external ID>) and the PUT method.")
                external_id = key[4:]
                if body.fields.get("externalId") not in (None, external_id):
                    raise errors.invalid_content("The external ID in the body differs from the one in the URL.",
                                                 path="externalId")
                body.fields["externalId"] = external_id
                current = acct.by_external_id(rtype, external_id)
                if current is not None:
                    self.upserts_of_existing += 1
            elif method == "PATCH":
                current = acct.locate(rtype, key or "")
            stored = transactions.save(acct, rtype, current, body, replace, self.now(), self.today())
            self._save()
            return rtype, stored["id"]

    def remove(self, account_id: str, rtype: str, key: str) -> None:
        with self.lock:
            rtype = records.record_type(rtype)
            acct = self.account(account_id)
            transactions.delete(acct, rtype, acct.locate(rtype, key), self.now())
            self._save()

    def listing(self, account_id: str, rtype: str, q: str | None) -> tuple[str, list[str]]:
        with self.lock:
            rtype = records.record_type(rtype)
            return rtype, self.account(account_id).list_ids(rtype, q)

    def suiteql(self, account_id: str, text: Any, params: Any) -> list[dict]:
        """Every result row; the result of the last query is kept while the data and clock are unchanged, so
        reading its pages one by one does not evaluate it again (the results stay consistent across pages)."""
        with self.lock:
            if params is not None and not isinstance(params, list):
                raise errors.invalid_content("params must be an array.", path="params")
            acct = self.account(account_id)
            key = (acct.account_id, acct.version, str(text), repr(params), "sysdate" in str(text).lower()
                   and self.now().isoformat())
            if self._last_query is not None and self._last_query[0] == key:
                return self._last_query[1]
            rows = suiteql.run(text, params or [], tables.tables(acct), tables.display(acct), self.now())
            self._last_query = (key, rows)
            return rows

    def name_of(self, account_id: str, rtype: str, rid: str) -> str | None:
        with self.lock:
            return self.account(account_id).name_of(rtype, rid)

    # --- the NetSuite UI (tests and demos) ----------------------------------------------------------------------
    def create_as_user(self, account_id: str, rtype: str, fields: dict) -> dict:
        with self.lock:
            rtype = records.record_type(rtype)
            acct = self.account(account_id)
            body = records.normalize(rtype, fields, acct.resolve)
            stored = transactions.save(acct, rtype, None, body, set(), self.now(), self.today())
            self._save()
            return dict(stored)

    def edit_as_user(self, account_id: str, rtype: str, rid: str, changes: dict) -> dict:
        with self.lock:
            rtype = records.record_type(rtype)
            acct = self.account(account_id)
            body = records.normalize(rtype, changes, acct.resolve)
            replace = {name.lower() for name, value in body.fields.items() if isinstance(value, list)}
            stored = transactions.save(acct, rtype, acct.require(rtype, rid), body, replace, self.now(),
                                       self.today())
            self._save()
            return dict(stored)

    def touch(self, account_id: str, rtype: str, rid: str) -> dict:
        with self.lock:
            stored = self.account(account_id).touch(records.record_type(rtype), rid, self.now())
            self._save()
            return dict(stored)

    def delete_record(self, account_id: str, rtype: str, rid: str) -> None:
        with self.lock:
            rtype = records.record_type(rtype)
            acct = self.account(account_id)
            transactions.delete(acct, rtype, acct.require(rtype, rid), self.now())
            self._save()

    def pay_bill_elsewhere(self, account_id: str, bill_id: str, *, amount: Decimal | str | None = None,
                           bank_account_id: str | None = None, tran_date: str | None = None) -> dict:
        """A person records a vendor payment for the bill in NetSuite (default: the whole amount remaining,
        from the first bank account of the bill's subsidiary and currency)."""
        with self.lock:
            acct = self.account(account_id)
            bill = acct.require("vendorBill", bill_id)
            value = Decimal(str(amount)) if amount is not None else bill["amountRemaining"]
            if bank_account_id is None:
                bank_account_id = next(a["id"] for a in acct.values("account") if a.get("acctType") == "Bank"
                                       and not a.get("isInactive") and a.get("currency") == bill["currency"]
                                       and a.get("subsidiary") in (None, bill["subsidiary"]))
            fields = {"entity": bill["entity"], "account": bank_account_id, "currency": bill["currency"],
                      "apply": [{"doc": bill["id"], "apply": True, "amount": value}]}
            if tran_date:
                fields["tranDate"] = tran_date
            body = records.Body({k: v for k, v in fields.items()}, [])
            stored = transactions.save(acct, "vendorPayment", None, body, set(), self.now(), self.today())
            self._save()
            return dict(stored)

    def get_record(self, account_id: str, rtype: str, rid: str) -> dict | None:
        with self.lock:
            found = self.account(account_id).get(records.record_type(rtype), rid)
            return None if found is None else dict(found)

    def count(self, account_id: str, rtype: str) -> int:
        with self.lock:
            return len(self.account(account_id).records[records.record_type(rtype)])

    # --- control plane -----------------------------------------------------------------------------------------
    def set_faults(self, **settings: Any) -> dict:
        """Fault settings (``core.faults``) plus ``expire_tokens=True`` (OAuth 2.0 access tokens expire now)
        and ``revoke_tokens=True`` (every TBA and OAuth 2.0 token of every account is revoked)."""
        expire = settings.pop("expire_tokens", False)
        revoke = settings.pop("revoke_tokens", False)
        snapshot = self.faults.configure(**settings)
        if expire:
            self.expire_access_tokens()
        if revoke:
            self.revoke_tokens()
        return snapshot

    def clear_faults(self) -> dict:
        return self.faults.clear()

    def fault_settings(self) -> dict:
        return self.faults.snapshot()

    def set_limits(self, **limits: Any) -> dict:
        return self.limiter.configure(**limits)

    def limits(self) -> dict:
        return self.limiter.snapshot()

    def advance_clock(self, seconds: float) -> dict:
        with self.lock:
            self.clock.advance(seconds)
            self._save()
            return self.clock_info()

    def clock_info(self) -> dict:
        return {"now": self.now().isoformat(), "offset_seconds": self.clock.offset_seconds}

    def request_stats(self, recent: int = 50) -> dict:
        return {**self.requests.snapshot(recent=recent), "upserts_of_existing": self.upserts_of_existing}

    def reset_request_stats(self) -> None:
        self.requests.reset()

    def seed_for_control(self, options: dict, base_url: str) -> dict:
        """``POST /_sandbox/seed``: an account plus an integration and token connected to it."""
        unknown = set(options) - {"account_id", "vendors", "name"}
        if unknown:
            raise ValueError(f"unknown seed options: {sorted(unknown)}")
        with self.lock:
            account_id = self.seed_account(options.get("account_id"), vendors=int(options.get("vendors", 5)),
                                           name=options.get("name"))
            return {**self.credentials(account_id, base_url), "company_name": self.accounts[account_id].name}

    # --- persistence -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        with self.lock:
            return {"version": _FORMAT_VERSION, "clock": self.clock.to_dict(), "faults": self.faults.to_dict(),
                    "auth": self.auth.to_dict(), "private_keys": self.private_keys,
                    "accounts": {k: a.to_dict() for k, a in self.accounts.items()}}

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
        self._last_query = None
        if not data:
            self.accounts, self.auth, self.private_keys = {}, AuthStore(), {}
            self.clock.reset()
            return
        if data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"unsupported sandbox state version {data.get('version')}")
        self.clock.load(data.get("clock", {}))
        if not shared:
            self.faults.load(data.get("faults", {}))
        self.auth = AuthStore.from_dict(data.get("auth", {}))
        self.private_keys = dict(data.get("private_keys", {}))
        self.accounts = {k: Account.from_dict(v) for k, v in data.get("accounts", {}).items()}

    def _new_account_id(self) -> str:
        while True:
            account_id = "".join(secrets.choice("0123456789") for _ in range(7)) + "_SB1"
            if account_id not in self.accounts:
                return account_id


def connection_info(base_url: str, account_id: str, consumer_key: str, consumer_secret: str, token_id: str,
                    token_secret: str, client_id: str, certificate_id: str, private_key_pem: str) -> dict:
    """What a client needs to reach one account of a sandbox served at ``base_url`` (REST under
    ``base_url + "/services/rest"``)."""
    base = base_url.rstrip("/")
    return {"platform": "netsuite", "base_url": base, "account_id": account_id,
            "consumer_key": consumer_key, "consumer_secret": consumer_secret,
            "token_id": token_id, "token_secret": token_secret,
            "token_url": f"{base}/services/rest/auth/oauth2/v1/token",
            "client_id": client_id, "certificate_id": certificate_id, "private_key_pem": private_key_pem}
