"""NetSuite ``nsError`` bodies, in the documented shape.

Every REST failure is ``{"type", "title", "status", "o:errorDetails": [{"detail",
"o:errorCode", ...}]}`` (Oracle, "Error Handling and Error Codes for REST Web
Services"); clients read ``o:errorDetails[0]["o:errorCode"]``. The 429 body keeps
Oracle's own oddities: its title reads "Bad Request" and it carries a top-level
``o:errorCode`` of ``USER_ERROR`` next to the detail's ``CONCURRENCY_LIMIT_EXCEEDED``.

Where Oracle documents the code but not the exact sentence (inactive or
unknown references, applying a payment to a paid bill, deleting a bill with
payments) the sentence follows the NetSuite UI's wording.
"""

from __future__ import annotations

from typing import Any

TYPE_400 = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1"
TYPE_GENERIC = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 415: "Unsupported Media Type", 429: "Bad Request",
          500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}

INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > "
    "Users/Roles > User Management > View Login Audit Trail."
)


class NsError(Exception):
    """One NetSuite REST error: raise it from state code, render it in routes."""

    def __init__(self, status: int, code: str, detail: str, *, path: str | None = None,
                 query_param: str | None = None, top_code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail
        self.path, self.query_param, self.top_code = path, query_param, top_code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"detail": self.detail, "o:errorCode": self.code}
        if self.path:
            detail["o:errorPath"] = self.path
        if self.query_param:
            detail["o:errorQueryParam"] = self.query_param
        body: dict[str, Any] = {
            "type": TYPE_400 if self.status == 400 else TYPE_GENERIC,
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
        }
        if self.top_code:
            body["o:errorCode"] = self.top_code
        body["o:errorDetails"] = [detail]
        return body


# --- authentication (401) ---------------------------------------------------------------------------

def invalid_login(reason: str = "") -> NsError:
    """Every TBA/OAuth failure answers the same documented 401; ``reason`` only goes to the sandbox log.

    NetSuite does not tell the caller which check failed (signature, nonce,
    timestamp, token): the Login Audit Trail does. The sandbox puts the reason
    in a response header, as its own "audit trail", never in the body.
    """
    headers = {"x-sandbox-login-audit": reason} if reason else {}
    return NsError(401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL, headers=headers)


# --- request problems ---------------------------------------------------------------------------------

def invalid_request(detail: str = "The request could not be understood by the server due to malformed syntax.",
                    *, query_param: str | None = None) -> NsError:
    return NsError(400, "INVALID_REQUEST", detail, query_param=query_param)


def invalid_content(detail: str, *, path: str | None = None) -> NsError:
    return NsError(400, "INVALID_CONTENT", f"Error while accessing resource: {detail}", path=path)


def invalid_value(field: str, value: Any, *, path: str | None = None) -> NsError:
    return NsError(400, "INVALID_VALUE",
                   f"You have entered an Invalid Field Value {value} for the following field: {field}",
                   path=path or field)


def invalid_reference(field: str, key: Any, *, path: str | None = None, extra: str = "") -> NsError:
    """A reference to a record that does not exist, is inactive, or is not usable here."""
    return NsError(400, "INVALID_KEY_OR_REF", f"Invalid {field} reference key {key}{extra}.",
                   path=path or field)


def user_error(detail: str, *, path: str | None = None) -> NsError:
    return NsError(400, "USER_ERROR", f"Error while accessing resource: {detail}", path=path)


def unknown_property(name: str) -> NsError:
    return NsError(400, "INVALID_CONTENT",
                   f"Error while accessing resource: Invalid field name {name}. Provide a valid field name.",
                   path=name)


def nonexistent(record_type: str, record_id: str) -> NsError:
    return NsError(404, "NONEXISTENT_ID", "Record does not exist.", path=f"{record_type}/{record_id}")


def record_type_unknown(name: str) -> NsError:
    return NsError(404, "NONEXISTENT_ID",
                   f"Record type '{name}' does not exist. Provide a valid record type.")


def method_not_allowed(detail: str) -> NsError:
    return NsError(405, "INVALID_REQUEST", detail)


# --- governance and server faults ----------------------------------------------------------------------

def concurrency_limit() -> NsError:
    return NsError(429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded. Request blocked.",
                   top_code="USER_ERROR")


def unexpected(status: int = 500, error_id: str = "sandbox") -> NsError:
    return NsError(status, "UNEXPECTED_ERROR", f"An unexpected error occurred. Error ID: {error_id}")
