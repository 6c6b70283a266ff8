"""The platform registry: every accounting platform is a plugin that declares itself here.

A platform plugin is data (STYLE 15): what credentials it needs and which of
them are secret, how an admin connects, what the platform can do (batch size,
concurrency, what "void" means, which dimensions a bill line carries), the
words the platform uses, and factories for its connector and its built-in
sandbox. Services, the sync engine, the web app, the API and the CLI iterate
over ``plugins()``; no platform name, scope, realm id or token shape appears
outside a platform's own ``connectors/<platform>/`` and ``sandboxes/<platform>/``
packages.

Built-in platforms are listed in ``BUILTIN``; a third-party package enrols
one more through the ``billpay.platforms`` entry-point group, whose entries
point at a ``PlatformPlugin`` object::

    [project.entry-points."billpay.platforms"]
    xero = "billpay_xero.plugin:PLUGIN"

Factories are ``"module:attribute"`` strings resolved on first use, so loading
the registry never imports every platform's code.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Protocol

if TYPE_CHECKING:  # pragma: no cover - types only
    import httpx

    from billpay.sync.ports import AccountingConnector

ConnectFlowKind = Literal["oauth2_code", "oauth1_tba", "client_credentials", "session"]
VoidMode = Literal["void", "delete"]

#: Reference-data kinds every platform has; dimension kinds come on top (``Capabilities.reference_kinds``).
BASE_REFERENCE_KINDS: tuple[str, ...] = ("vendors", "accounts", "terms")


@dataclass(frozen=True)
class CredentialField:
    """One field of a connection's credentials (the connect form and the ``PUT accounting/connection`` body).

    ``secret`` fields are encrypted at rest and never shown again; the others are
    kept in the connection's config and shown on the Connections page.
    """

    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""
    #: ``url`` fields are checked against the platform's official hosts (``official_hosts``).
    kind: Literal["text", "url", "pem", "password"] = "text"


@dataclass(frozen=True)
class Dimension:
    """An accounting dimension the platform has, as billpay names it.

    ``code`` is the key in a bill's or line's ``attributes`` (lower case: ``class``,
    ``department``, ``location``, ``subsidiary``, ``project``, a Business Central
    dimension code such as ``area``). ``kind`` is its reference-data kind (plural:
    ``classes``, ``departments``, ``areas``). ``lines``/``header``: where the
    platform accepts it.
    """

    code: str
    label: str
    kind: str
    lines: bool = True
    header: bool = True


@dataclass(frozen=True)
class Capabilities:
    """What the engine may expect of a platform; read by the engine, never ``if platform == ...``."""

    #: Records one write call may carry (QuickBooks batch: 30; no batch API: 1).
    batch_size: int = 1
    #: Requests the platform allows in flight per company/account (shared by every worker).
    concurrency: int = 1
    #: Platform request budgets shared by every worker, e.g.
    #: ``{"requests_per_minute": 500, "batches_per_minute": 40}``.
    limits: Mapping[str, float] = field(default_factory=dict)
    #: ``void``: the bill stays on the platform, voided; ``delete``: an unpaid bill is deleted.
    void: VoidMode = "void"
    #: Every bill line needs a G/L account (all four platforms do; kept explicit for plugins).
    line_account_required: bool = True
    #: The dimensions in the order the coding screens show them.
    dimensions: tuple[Dimension, ...] = ()
    #: A vendor credit (negative bill) can be written and applied to bill payments.
    vendor_credits: bool = False
    #: billpay can create a vendor on the platform.
    create_vendors: bool = False
    #: The platform has an endpoint to revoke the grant on disconnect.
    revoke: bool = False
    #: Bills in other currencies than the company's carry an exchange rate.
    multicurrency: bool = True

    @property
    def reference_kinds(self) -> tuple[str, ...]:
        return BASE_REFERENCE_KINDS + tuple(d.kind for d in self.dimensions)

    def dimension(self, code: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.code == code), None)

    def dimension_for_kind(self, kind: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.kind == kind), None)


@dataclass(frozen=True)
class ConnectFlow:
    """How an admin connects: which flow, and for OAuth 2 code flows the scope and callback parameter
    that names the company (QuickBooks ``realmId``)."""

    kind: ConnectFlowKind
    scope: str | None = None
    company_param: str | None = None


@dataclass(frozen=True)
class Words:
    """The platform's own words, for pages, errors and the dashboard."""

    bill: str = "bill"
    bill_payment: str = "bill payment"
    vendor: str = "vendor"
    gl_account: str = "account"
    company: str = "company"
    vendor_credit: str = "vendor credit"


class BuiltinSandbox(Protocol):
    """A platform's sandbox as demo equipment inside ``billpay serve`` (never a production surface).

    ``app`` is the ASGI app mounted under ``/sandbox/<platform>`` (behind an admin
    session or key); ``provision`` returns the credentials of the organization's own
    sandbox company (created on first use) in the shape of the connection body,
    the same keys ``billpay sandbox <platform>`` prints.
    """

    platform: str

    @property
    def app(self) -> Any: ...

    @property
    def state(self) -> Any: ...

    @property
    def transport(self) -> Any:
        """An ``httpx`` transport calling ``app`` in-process (mounted under ``/sandbox/<platform>``)."""

    def provision(self, org_key: str, base_url: str) -> dict: ...


@dataclass(frozen=True)
class PlatformPlugin:
    """Everything billpay knows about one accounting platform."""

    name: str                       # "quickbooks": stored in connections, used in URLs and the API
    display_name: str               # "QuickBooks Online"
    connect: ConnectFlow
    credentials: tuple[CredentialField, ...]
    capabilities: Capabilities
    #: ``"module:function"``: ``build(settings, *, http, tokens, **overrides) -> AccountingConnector``.
    connector: str | Callable[..., AccountingConnector]
    #: ``"module:function"``: ``create(container) -> BuiltinSandbox``; None when there is none.
    sandbox: str | Callable[..., BuiltinSandbox] | None = None
    #: ``"module:function"``: ``run(host, port)`` for ``billpay sandbox <name>``.
    sandbox_server: str | Callable[..., None] | None = None
    #: Hosts (suffixes, e.g. ``.intuit.com``) a connection's URLs may point at without operator allowance.
    official_hosts: tuple[str, ...] = ()
    words: Words = field(default_factory=Words)
    #: Error code -> the fix in this platform's words (overrides the generic sentence on the dashboard).
    fixes: Mapping[str, str] = field(default_factory=dict)
    #: Name of the field holding the company id (``realm_id``, ``account_id``, ``company_id``).
    company_field: str = "company_id"
    docs: str | None = None         # the integration guide, relative to the repository

    @property
    def secret_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.credentials if f.secret)

    def build_connector(self, settings: ConnectionSettings, *, http: httpx.Client, tokens: Any,
                        **overrides: Any) -> AccountingConnector:
        return _resolve(self.connector)(settings, http=http, tokens=tokens, **overrides)

    def builtin_sandbox(self, container: Any) -> BuiltinSandbox:
        if self.sandbox is None:
            raise LookupError(f"{self.display_name} has no built-in sandbox")
        return _resolve(self.sandbox)(container)

    def run_sandbox_server(self, host: str, port: int) -> None:
        if self.sandbox_server is None:
            raise LookupError(f"{self.display_name} has no sandbox server")
        _resolve(self.sandbox_server)(host=host, port=port)


@dataclass(frozen=True)
class ConnectionSettings:
    """One stored connection, credentials decrypted only to build its connector.

    ``config`` holds the non-secret credential fields (``base_url``, ``token_url``,
    ``client_id``, account ids …), ``secrets`` the secret ones, ``options`` the
    organization's choices for this connection (e.g. the bank account per
    currency: ``{"bank_accounts": {"USD": "35"}}``, QuickBooks ``minorversion``).
    ``company_id`` is the platform's company: QuickBooks realm id, NetSuite
    account id, Intacct company id, Business Central company id.
    """

    platform: str
    company_id: str
    config: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, Any] = field(default_factory=dict, repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        """A credential field by name, secret or not."""
        if name in self.secrets:
            return self.secrets[name]
        return self.config.get(name, default)

    @property
    def base_url(self) -> str:
        return self.config.get("base_url") or ""

    @property
    def token_url(self) -> str:
        return self.config.get("token_url") or ""

    @property
    def client_id(self) -> str:
        return self.config.get("client_id") or ""

    @property
    def client_secret(self) -> str:
        return self.secrets.get("client_secret") or ""


BUILTIN: tuple[str, ...] = (
    "billpay.connectors.quickbooks.plugin:PLUGIN",
    "billpay.connectors.netsuite.plugin:PLUGIN",
    "billpay.connectors.intacct.plugin:PLUGIN",
    "billpay.connectors.business_central.plugin:PLUGIN",
)
ENTRY_POINT_GROUP = "billpay.platforms"

_lock = threading.Lock()
_plugins: dict[str, PlatformPlugin] | None = None
_extra: dict[str, PlatformPlugin] = {}


def _resolve(ref: str | Callable) -> Any:
    if not isinstance(ref, str):
        return ref
    module_name, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def _load() -> dict[str, PlatformPlugin]:
    global _plugins
    with _lock:
        if _plugins is None:
            found: dict[str, PlatformPlugin] = {}
            for ref in BUILTIN:
                plugin = _resolve(ref)
                found[plugin.name] = plugin
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                plugin = ep.load()
                found.setdefault(plugin.name, plugin)
            _plugins = found
        return {**_plugins, **_extra}


def plugins() -> list[PlatformPlugin]:
    """Every enrolled platform, in the order they were enrolled."""
    return list(_load().values())


def names() -> list[str]:
    return list(_load())


def get(name: str | None) -> PlatformPlugin:
    """The plugin of ``name``; ``LookupError`` names the known ones."""
    found = _load()
    if name not in found:
        raise LookupError(f"no platform {name!r}; known: {', '.join(found)}")
    return found[name]


def register(plugin: PlatformPlugin) -> None:
    """Enrol a plugin at run time (tests, embedding applications)."""
    _load()
    with _lock:
        _extra[plugin.name] = plugin


def unregister(name: str) -> None:
    with _lock:
        _extra.pop(name, None)
