"""Business Central error bodies, shaped as the service shapes them.

Every API failure is ``{"error": {"code": "<Code>", "message": "<text>  CorrelationId:  <guid>."}}``
with the codes of BC's error table (``BadRequest_NotFound``, ``Internal_RecordNotFound``,
``Application_DialogException``, ``Request_EntityChanged``, ``Application_TooManyRequests`` …).
The texts of AL errors are the ones the AL pages raise (``APIV2PurchaseInvoices.Page.al`` and
friends); where BC's text is not documented the sandbox writes a plain sentence and says so in
the integration guide.

The Entra ID token endpoint answers in its own OAuth shape (``EntraError``): ``error``,
``error_description`` starting with the AADSTS number, ``error_codes``, ``timestamp``,
``trace_id``, ``correlation_id``.
"""

from __future__ import annotations

import uuid
from datetime import datetime


class BCError(Exception):
    """One Business Central API error: raise it from state code, render it in routes."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self, correlation_id: str | None = None) -> dict:
        cid = correlation_id or str(uuid.uuid4())
        return {"error": {"code": self.code, "message": f"{self.message}  CorrelationId:  {cid}."}}


# -- request shape -----------------------------------------------------------------------------


def no_resource(url: str) -> BCError:
    return BCError(404, "BadRequest_NotFound", f"No HTTP resource was found that matches the request URI '{url}'.")


def bad_request(message: str) -> BCError:
    """OData parsing problems (a ``$filter`` BC cannot parse, a property that does not exist)."""
    return BCError(400, "BadRequest", message)


def method_not_allowed(method: str, what: str) -> BCError:
    return BCError(405, "BadRequest_MethodNotAllowed", f"'{method}' requests for '{what}' are not allowed.")


def unknown_property(prop: str, entity_type: str) -> BCError:
    return bad_request(
        f"The property '{prop}' does not exist on type 'Microsoft.NAV.{entity_type}'. Make sure to only "
        "use property names that are defined by the type."
    )


def wrong_type(value: object, edm_type: str) -> BCError:
    return bad_request(f"Cannot convert the literal '{value}' to the expected type '{edm_type}'.")


def read_only(caption: str) -> BCError:
    return BCError(400, "BadRequest_InvalidOperation", f"Control '{caption}' is read-only.")


def invalid_guid(value: object) -> BCError:
    return BCError(400, "Application_Invalid_GUID", f"'{value}' is not a valid GUID.")


def string_too_long(value: str, limit: int) -> BCError:
    return BCError(
        400,
        "Application_StringExceededLength",
        f"The length of the string is {len(value)}, but it must be less than or equal to {limit} characters. "
        f"Value: {value}",
    )


def missing_if_match() -> BCError:
    return BCError(
        400,
        "BadRequest_InvalidToken",
        "Could not validate the client concurrency token required by the service. Please provide a valid token "
        "in the client request.",
    )


def entity_changed() -> BCError:
    return BCError(409, "Request_EntityChanged", "Another user has already changed the record.")


# -- records ---------------------------------------------------------------------------------------


def record_not_found(table: str, fields: str) -> BCError:
    return BCError(
        404, "Internal_RecordNotFound", f"The {table} does not exist. Identification fields and values: {fields}"
    )


def company_not_found(company: str) -> BCError:
    return BCError(404, "Internal_CompanyNotFound", f"Cannot open company '{company}'. The company does not exist.")


def environment_not_found(environment: str) -> BCError:
    return BCError(
        404, "BadRequest_NotFound", f"The environment '{environment}' does not exist in this tenant."
    )


def dialog(message: str) -> BCError:
    """Most AL ``Error(...)`` texts come back as ``Application_DialogException``."""
    return BCError(400, "Application_DialogException", message)


def field_validation(message: str) -> BCError:
    """``TestField`` failures: "Blocked must be equal to 'No' in G/L Account: No.=6100. ..."."""
    return BCError(400, "Application_FieldValidationException", message)


def table_relation(field: str, table: str, value: str) -> BCError:
    return BCError(
        400,
        "Internal_InvalidTableRelation",
        f"The field {field} of table Purchase Line contains a value ({value}) that cannot be found in the "
        f"related table ({table}).",
    )


def posted_invoice() -> BCError:
    return dialog("The invoice has been posted and can no longer be modified.")


# -- auth and limits -----------------------------------------------------------------------------


def unauthorized(message: str, *, tenant: str | None = None, error: str = "invalid_token") -> BCError:
    authority = f"https://login.microsoftonline.com/{tenant or 'common'}/oauth2/authorize"
    header = f'Bearer authorization_uri="{authority}", error="{error}", error_description="{message}"'
    return BCError(401, "Authentication_InvalidCredentials", message, headers={"WWW-Authenticate": header})


def forbidden(message: str) -> BCError:
    return BCError(403, "Authorization_InsufficientPermissions", message)


def too_many_requests(retry_after: int) -> BCError:
    return BCError(
        429,
        "Application_TooManyRequests",
        "The request was rejected because the limit of concurrent requests or the request rate for this user "
        "was exceeded. Please retry after the time given in the Retry-After header.",
        headers={"Retry-After": str(max(1, int(retry_after)))},
    )


def injected(status: int) -> BCError:
    if status == 429:
        return too_many_requests(1)
    if status == 401:
        return unauthorized("The access token is expired (injected by the sandbox).")
    if status == 403:
        return forbidden("You do not have the permissions to do this (injected by the sandbox).")
    if status == 404:
        return record_not_found("record", "injected by the sandbox")
    if status == 409:
        return entity_changed()
    if status == 400:
        return dialog("Fault injected by the sandbox.")
    if status == 503:
        return BCError(503, "Internal_ServiceUnavailable", "The service is temporarily unavailable.")
    if status == 504:
        return BCError(504, "Internal_RequestTimeout", "The request did not finish in time.")
    return BCError(status, "Internal_ServerError", "An unexpected error occurred (injected by the sandbox).")


class EntraError(Exception):
    """An error of the Entra ID token endpoint (OAuth 2.0 shape plus AADSTS details)."""

    def __init__(self, error: str, aadsts: int, description: str, status: int = 400) -> None:
        super().__init__(f"{error} AADSTS{aadsts}")
        self.error = error
        self.aadsts = aadsts
        self.description = description
        self.status = status

    def body(self, now: datetime) -> dict:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": self.error,
            "error_description": f"AADSTS{self.aadsts}: {self.description} Trace ID: {trace} "
            f"Correlation ID: {correlation} Timestamp: {stamp}",
            "error_codes": [self.aadsts],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
        }
