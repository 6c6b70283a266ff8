"""Intacct's error shapes: ``<errormessage><error><errorno/><description/><description2/><correction/>``.

Where an error lands decides who reads it (``/web-services/error-handling/``):

- control level (``ControlFault``): XML that does not parse or does not follow
  the request schema, a sender the gateway does not know; the response has no
  ``<operation>``;
- gateway level (``GatewayFault``): ``GW-nnnn`` with an HTTP status (GW-0010 is
  the 429 rate limit);
- authentication (``AuthFault``): the ``<errormessage>`` sits directly in
  ``<operation>`` after ``<authentication><status>failure``;
- function level (``IntacctError``): inside the function's ``<result>``.

Error numbers follow Intacct's published examples (XL03000003 schema,
XL03000006 authentication/authorization, XL03000009 rolled back, BL01001973
business validation, GW-0010 rate limit). Intacct does not document the
number of its "already been recorded" refusal; the sandbox uses
``XL03000010`` for it and keeps Intacct's sentence, which is what clients match.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from ...connectors.base import xmlcodec

BUSINESS = "BL01001973"
SCHEMA = "XL03000003"
AUTH = "XL03000006"
ROLLED_BACK = "XL03000009"
DUPLICATE_CONTROL = "XL03000010"
QUERY_FAILED = "Query Failed"


def support_id() -> str:
    return secrets.token_urlsafe(18).replace("-", "%7E")


@dataclass
class ErrorDetail:
    errorno: str
    description: str = ""
    description2: str = ""
    correction: str = ""

    def element(self) -> xmlcodec.Element:
        return xmlcodec.build("error", {"errorno": self.errorno, "description": self.description,
                                        "description2": self.description2, "correction": self.correction})


def errormessage(details: list[ErrorDetail]) -> xmlcodec.Element:
    root = xmlcodec.build("errormessage")
    for detail in details:
        root.append(detail.element())
    return root


class IntacctError(Exception):
    """A function failed; ``details`` become its ``<errormessage>``."""

    def __init__(self, *details: ErrorDetail) -> None:
        super().__init__(details[0].description2 or details[0].description)
        self.details = list(details)


class ControlFault(IntacctError):
    """The request as a whole is refused before authentication (no ``<operation>`` in the answer)."""


class AuthFault(IntacctError):
    """The login or session was refused."""


class GatewayFault(IntacctError):
    """A gateway refusal answered with an HTTP error status (GW-0010 -> 429)."""

    def __init__(self, status: int, detail: ErrorDetail) -> None:
        super().__init__(detail)
        self.status = status


def business(description: str, description2: str, correction: str = "", *, follow_up: str | None = None
             ) -> IntacctError:
    """A business-validation failure; Intacct adds a second error naming the record it could not save."""
    details = [ErrorDetail(BUSINESS, description, f"{description2} [Support ID: {support_id()}]", correction)]
    if follow_up:
        details.append(ErrorDetail(BUSINESS, "", follow_up, ""))
    return IntacctError(*details)


def could_not(action: str, label: str) -> str:
    return f"Could not {action} {label} record!"


def schema_error(message: str) -> ControlFault:
    return ControlFault(ErrorDetail(SCHEMA, "", f"XML Parse schema error: {message} [Support ID: {support_id()}]",
                                    ""))


def query_failed(message: str) -> IntacctError:
    return IntacctError(ErrorDetail(QUERY_FAILED, "Query Failed", message, ""))


def invalid_sender(sender_id: str) -> ControlFault:
    return ControlFault(ErrorDetail(AUTH, "Invalid Web Services Authorization",
                                    "Incorrect Intacct XML Partner ID or password.",
                                    f"Check the Web Services sender ID '{sender_id}' and its password."))


def sender_not_authorized(sender_id: str, company_id: str) -> AuthFault:
    return AuthFault(ErrorDetail(
        AUTH, "Invalid Web Services Authorization",
        f"The sender ID '{sender_id}' is not authorized to make Web Services requests to company ID "
        f"'{company_id}'.",
        "Contact the company administrator to grant Web Services authorization to this sender ID."))


def bad_login() -> AuthFault:
    return AuthFault(ErrorDetail(AUTH, "Sign-in information is incorrect",
                                 "Sign-in information is incorrect. Please check your request.",
                                 "Check the user ID, company ID and password, then try again."))


def bad_entity(location_id: str) -> AuthFault:
    return AuthFault(ErrorDetail(AUTH, "Sign-in information is incorrect",
                                 f"The entity '{location_id}' does not exist or this user cannot sign in to it.",
                                 "Check the entity ID, or sign in at the top level."))


def invalid_session() -> AuthFault:
    return AuthFault(ErrorDetail(AUTH, "Invalid session",
                                 "The session ID is not valid or has expired.",
                                 "Sign in again with getAPISession to get a new session ID."))


def rate_limited(limit: int) -> GatewayFault:
    return GatewayFault(429, ErrorDetail(
        "GW-0010", f"API rate limit exceeded [Request ID: {support_id()}]",
        f"More than {limit} requests are in progress for this company at its performance tier.",
        "Wait for requests in progress to finish, then retry with a backoff."))


def service_unavailable(status: int) -> GatewayFault:
    return GatewayFault(status, ErrorDetail(
        "GW-0001", f"The Service is Temporarily Off-line [Request ID: {support_id()}]",
        "The Sage Intacct gateway could not process the request right now.", "Retry the request later."))


def rolled_back() -> ErrorDetail:
    return ErrorDetail(ROLLED_BACK, "",
                       "The entire transaction in this operation has been rolled back due to an error.", "")


def already_recorded(control_id: str) -> IntacctError:
    return IntacctError(ErrorDetail(
        DUPLICATE_CONTROL, "Duplicate control ID",
        f"A successful transaction has already been recorded with the control id {control_id}.",
        "Use a new control ID for a new operation, or read the record the first one created."))
