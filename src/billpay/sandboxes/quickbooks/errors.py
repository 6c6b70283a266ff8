"""QuickBooks Online fault bodies, exactly as the service shapes them.

Two families:

- ``QBOFault``: the documented envelope ``{"Fault": {"Error": [{"Message",
  "Detail", "code", "element"}], "type": ...}, "time": ...}`` used for
  validation (400), throttling (429) and system (5xx) faults. python-quickbooks
  turns ``code`` into its exceptions: 500-599 UnsupportedException, 610
  ObjectNotFoundException (other 600-1999 GeneralException), 2000-4999
  ValidationException (so 3001 throttling too), 5000-9999 (5010, 6000, 6140,
  6210, 6240) plain QuickbooksException, ≥10000 SevereException.
- ``AuthFault``: the lowercase gateway shape QuickBooks answers 401/403 with
  (``{"warnings": null, ..., "fault": {"error": [...], "type": ...}}``).

Codes and texts come from Intuit's error pages and captured responses; where
Intuit documents nothing (batch size, CDC look-back, overpaying a bill) the
sandbox uses the nearest documented code and says so in ``Detail``.
"""

from __future__ import annotations

from typing import Any

BUSINESS_VALIDATION = "A business validation error has occurred while processing your request"
OBJECT_NOT_FOUND_NAME = (
    "Object Not Found : Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees."
)
OBJECT_NOT_FOUND_TXN = "Object Not Found : Another user has deleted this transaction."

# The group name QuickBooks uses in "Invalid Reference Id : <group> element id N not found".
REFERENCE_GROUPS = {
    "Vendor": "Names",
    "Account": "Accounts",
    "Class": "Klasses",
    "Department": "Departments",
    "Term": "SalesTerms",
    "Bill": "Transactions",
    "Item": "Items",
}


class QBOFault(Exception):
    """One QuickBooks fault: raise it from state code, render it in routes."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str = "",
        *,
        element: str = "",
        fault_type: str = "ValidationFault",
        status: int = 400,
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = str(code)
        self.message = message
        self.detail = detail
        self.element = element
        self.fault_type = fault_type
        self.status = status

    def error(self) -> dict:
        return {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}

    def fault(self) -> dict:
        """The ``Fault`` object (batch items carry it without ``time``)."""
        return {"Error": [self.error()], "type": self.fault_type}

    def body(self, time: str) -> dict:
        return {"Fault": self.fault(), "time": time}


class AuthFault(Exception):
    """401/403 in the lowercase gateway shape; python-quickbooks raises before parsing it."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    @property
    def code(self) -> str:
        return "3200" if self.status == 401 else "3100"

    def headers(self) -> dict[str, str]:
        if self.status == 401:
            return {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}
        return {}

    def body(self, time_ms: int) -> dict:
        if self.status == 401:
            message, fault_type = (
                "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "AUTHENTICATION",
            )
        else:
            message, fault_type = (
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                "SERVICE",
            )
        return {
            "warnings": None,
            "intuitObject": None,
            "fault": {
                "error": [{"message": message, "detail": self.detail, "code": self.code, "element": None}],
                "type": fault_type,
            },
            "report": None,
            "queryResponse": None,
            "batchItemResponse": [],
            "attachableResponse": [],
            "syncErrorResponse": None,
            "requestId": None,
            "time": time_ms,
            "status": None,
            "cdcresponse": [],
        }


# --- builders ---------------------------------------------------------------


def object_not_found(entity: str) -> QBOFault:
    detail = OBJECT_NOT_FOUND_TXN if entity in ("Bill", "BillPayment") else OBJECT_NOT_FOUND_NAME
    return QBOFault("610", "Object Not Found", detail)


def inactive_reference(element: str = "") -> QBOFault:
    return QBOFault("610", "Object Not Found", OBJECT_NOT_FOUND_NAME, element=element)


def invalid_reference(entity: str, ref_id: Any, element: str = "") -> QBOFault:
    group = REFERENCE_GROUPS.get(entity, entity + "s")
    return QBOFault(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {group} element id {ref_id} not found",
        element=element,
    )


def required_param(name: str, element: str = "") -> QBOFault:
    return QBOFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
        element=element,
    )


def invalid_property(detail: str, element: str = "") -> QBOFault:
    return QBOFault(
        "2010",
        "Request has invalid or unsupported property",
        f"Property Name:{detail} specified is unsupported or invalid",
        element=element,
    )


def invalid_enumeration(value: Any, element: str = "") -> QBOFault:
    return QBOFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", element=element)


def string_too_long(element: str, maximum: int, supplied: int) -> QBOFault:
    return QBOFault(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{maximum} supported. "
        f"Supplied length:{supplied}",
        element=element,
    )


def stale_object() -> QBOFault:
    return QBOFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and root were working on this at the same time. "
        "root finished before you did, so your work was not saved.",
    )


def business_validation(detail: str, element: str = "") -> QBOFault:
    return QBOFault("6000", BUSINESS_VALIDATION, f"Business Validation Error: {detail}", element=element)


def no_name_provided() -> QBOFault:
    return QBOFault(
        "6080",
        "No Name Provided",
        "Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these must be non-empty",
    )


def invalid_account_type() -> QBOFault:
    return QBOFault(
        "6010",
        "Invalid Account.AccountType && Account.SubType",
        "Either an Account.AccountType or an Account.AccountSubType must be specified",
    )


def duplicate_name(kind: str = "customer, vendor or employee") -> QBOFault:
    return QBOFault(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {kind} is already using this name. "
        "Please use a different name.",
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QBOFault:
    return QBOFault(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number has already been "
        f"used. DocNumber={doc_number} is assigned to TxnType={txn_type} with TxnId={txn_id}",
    )


def period_closed() -> QBOFault:
    return QBOFault(
        "6210",
        "Account Period Closed, Cannot Update Through Services API",
        "The account period has closed and the account books cannot be updated through through the QBO "
        "Services API. Please use the QBO website to make these changes.",
    )


def unsupported_operation(detail: str) -> QBOFault:
    return QBOFault("500", "Unsupported Operation", f"Operation {detail} is not supported.")


def query_parse_error(detail: str) -> QBOFault:
    return QBOFault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation_error(detail: str) -> QBOFault:
    return QBOFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def throttled() -> QBOFault:
    return QBOFault(
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.  Try again later",
        fault_type="SERVICE",
        status=429,
    )


def system_failure(
    status: int = 500, detail: str = "System Failure Error: An unexpected error occurred"
) -> QBOFault:
    return QBOFault(
        "10000",
        "An application error has occurred while processing your request",
        detail,
        fault_type="SystemFault",
        status=status,
    )


def batch_too_large(count: int, maximum: int) -> QBOFault:
    return business_validation(
        f"The batch request has {count} BatchItemRequest payloads; the maximum is {maximum}."
    )


def cdc_too_old(days: int) -> QBOFault:
    return query_validation_error(f"changedSince must be within the last {days} days")
