"""Which servers an organization's admin may point a connection at.

A connection's URLs (``base_url``, ``token_url``, ``authorize_url`` and every credential field of kind
``url``) must name one of the platform's official hosts (``PlatformPlugin.official_hosts``, over https),
or a host the operator allows in ``BILLPAY_ALLOWED_PLATFORM_HOSTS`` (comma-separated names or addresses,
e.g. ``127.0.0.1,localhost`` for the loopback sandboxes). Anything else is refused before any connection
is attempted, above all private, loopback and link-local addresses: billpay would otherwise reach into
the network it runs in on an admin's word. Nothing here resolves or connects.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ..connectors.registry import PlatformPlugin
from ..domain.errors import ValidationError

URL_KEYS = ("base_url", "token_url", "authorize_url")
CODE = "platform_host_not_allowed"


def allowed_hosts(setting: str | None) -> frozenset[str]:
    return frozenset(h.strip().lower().strip("[]") for h in (setting or "").split(",") if h.strip())


def _official(host: str, official: tuple[str, ...]) -> bool:
    for suffix in official:
        suffix = suffix.lower()
        bare = suffix.lstrip(".")
        if host == bare or host.endswith("." + bare):
            return True
    return False


def _refuse(field: str, detail: str) -> ValidationError:
    return ValidationError(detail, code=CODE, field=field)


def check_url(plugin: PlatformPlugin, field: str, url: object, allowed: frozenset[str]) -> None:
    if not isinstance(url, str) or not url.strip():
        raise _refuse(field, f"{field} must be a URL.")
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (a bad port raises ValueError)
    except ValueError:
        raise _refuse(field, f"{field} is not a valid URL.") from None
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise _refuse(field, f"{field} must be an http(s) URL with a host name and no user name.")
    if host in allowed:
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        kind = ("a private" if address.is_private else "a loopback" if address.is_loopback
                else "a link-local" if address.is_link_local else "an")
        raise _refuse(field, f"{field} points at {kind} address ({host}), which is not {plugin.display_name}'s. "
                             "The operator can allow it with BILLPAY_ALLOWED_PLATFORM_HOSTS.")
    if not _official(host, plugin.official_hosts):
        raise _refuse(field, f"{field} points at {host}, which is not a {plugin.display_name} server. "
                             "The operator can allow it with BILLPAY_ALLOWED_PLATFORM_HOSTS.")
    if parts.scheme != "https":
        raise _refuse(field, f"{field} must use https.")


def check_connection_urls(plugin: PlatformPlugin, body: dict, allowed_setting: str | None) -> None:
    """Refuse a connection body whose URLs leave the platform's official hosts (or the operator's list)."""
    allowed = allowed_hosts(allowed_setting)
    fields = set(URL_KEYS) | {f.name for f in plugin.credentials if f.kind == "url"}
    for field in sorted(fields):
        if body.get(field) is not None:
            check_url(plugin, field, body[field], allowed)
