"""QuickBooks fault table: Intuit codes and texts -> stable billpay codes, kinds, sentences."""
from __future__ import annotations

import pytest

from billpay.connectors.quickbooks import faults
from billpay.connectors.quickbooks.faults import fault_error, normalise_code
from billpay.connectors.quickbooks.wire import fault_of


def qbo_fault(code, message="", detail="", element="", fault_type="ValidationFault"):
    return {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code, "element": element}],
                      "type": fault_type}, "time": "2024-05-01T05:00:00-07:00"}


STALE = qbo_fault("5010", "Stale Object Error",
                  "Stale Object Error : You and root were working on this at the same time. root finished "
                  "before you did, so your work was not saved.")
CAPTURED_401 = {"warnings": None, "intuitObject": None, "fault": {"error": [{
    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
    "detail": "Token expired: AB01730024136mqEofYN9fldzIcxH6lsAcqOYIbafE5z6ZdjPc", "code": "3200",
    "element": None}], "type": "AUTHENTICATION"}, "report": None, "queryResponse": None,
    "batchItemResponse": [], "attachableResponse": [], "syncErrorResponse": None, "requestId": None,
    "time": 1730024394085, "status": None, "cdcresponse": []}


@pytest.mark.parametrize(("body", "status", "operation", "code", "kind"), [
    (STALE, 400, "write", "platform_stale_version", "conflict"),
    (qbo_fault("6140", "Duplicate Document Number Error",
               "You must specify a different number. This number has already been used. "
               "DocNumber=BILL-2625476 is assigned to TxnType=Bill with TxnId=17250"), 400, "write",
     "platform_duplicate_number", "rejected"),
    (qbo_fault("6210", "Duplicate Document Number Error", "Duplicate Document Number Error: You must "
               "specify a different number."), 400, "write", "platform_duplicate_number", "rejected"),
    (qbo_fault("6210", "Account Period Closed", "The account period has closed and the account books "
               "cannot be updated through the QBO Services API."), 400, "write", "platform_period_closed",
     "rejected"),
    (qbo_fault("6000", "A business validation error has occurred while processing your request",
               "Business Validation Error: The account period has closed."), 400, "write",
     "platform_period_closed", "rejected"),
    (qbo_fault("6000", "A business validation error has occurred while processing your request",
               "Business Validation Error: You must set a transaction amount."), 400, "write",
     "platform_validation", "rejected"),
    (qbo_fault("610", "Object Not Found", "Object Not Found : Something you're trying to use has been made "
               "inactive. Check the fields with accounts, customers, items, vendors or employees.",
               element="VendorRef"), 400, "write", "platform_vendor_inactive", "rejected"),
    (qbo_fault("610", "Object Not Found", "Something you're trying to use has been made inactive. Check the "
               "fields with accounts, customers, items, vendors or employees."), 400, "write",
     "platform_reference_inactive", "rejected"),
    (qbo_fault("610", "Object Not Found", "Object Not Found : Another user has deleted this transaction."),
     400, "write", "platform_not_found", "not_found"),
    (qbo_fault("610", "Object Not Found", "Object Not Found : Something you're trying to use has been made "
               "inactive."), 400, "read", "platform_not_found", "not_found"),
    (qbo_fault("2500", "Invalid Reference Id", "Invalid Reference Id : Accounts element id 7 not found"),
     400, "write", "platform_reference_invalid", "rejected"),
    (qbo_fault("6240", "Duplicate Name Exists Error", "The name supplied already exists."), 400, "write",
     "platform_duplicate_name", "rejected"),
    (qbo_fault("6190", "Invalid Company Status", "Subscription period has ended or been canceled"), 400,
     "write", "platform_subscription_inactive", "config"),
    (qbo_fault("6540", "Deposited Transaction cannot be changed", "This transaction has been deposited."),
     400, "write", "platform_record_locked", "rejected"),
    (qbo_fault("003001", "message=ThrottleExceeded; errorCode=003001; statusCode=429",
               "The request limit was reached. Try again later"), 429, "read", "platform_rate_limited",
     "transient"),
    (None, 429, "read", "platform_rate_limited", "transient"),
    (qbo_fault("10000", "An application error has occurred while processing your request",
               fault_type="SystemFault"), 500, "read", "platform_unavailable", "transient"),
    (None, 503, "query", "platform_unavailable", "transient"),
    (CAPTURED_401, 401, "read", "platform_auth_expired", "auth"),
    (qbo_fault("3100", "ApplicationAuthorizationFailed", fault_type="AuthorizationFault"), 403, "read",
     "platform_forbidden", "config"),
    (qbo_fault("4001", "Invalid query", "QueryValidationError: property 'Foo' is not queryable"), 400,
     "query", "platform_request_invalid", "rejected"),
    (qbo_fault("6000", "A business validation error has occurred",
               "You can't delete this bill: it has linked payment transactions."), 400, "delete",
     "platform_bill_has_payments", "rejected"),
    (None, 404, "read", "platform_not_found", "not_found"),
])
def test_fault_table(body, status, operation, code, kind):
    error = fault_error(fault_of(body), status=status, operation=operation)
    assert (error.code, error.kind) == (code, kind)
    assert error.message and error.message[0].isupper() and error.message.endswith(".")


def test_raw_keeps_the_fault_but_never_a_token():
    error = fault_error(fault_of(CAPTURED_401), status=401, operation="read",
                        secrets=["my-access-token"], intuit_tid="1-abc")
    assert error.raw["status"] == 401 and error.raw["intuit_tid"] == "1-abc"
    assert error.raw["Fault"]["Error"][0]["code"] == "3200"
    assert "AB0173" not in repr(error.raw) and "AB0173" not in str(error)


def test_generic_validation_shows_quickbooks_detail_in_plain_words():
    body = qbo_fault("2020", "Required param missing, need to supply the required value for the API",
                     "Required parameter AccountRef is missing in the request")
    error = fault_error(fault_of(body), status=400, operation="write")
    assert error.message == ("QuickBooks Online rejected the record: Required parameter AccountRef is "
                             "missing in the request.")


def test_server_errors_on_writes_leave_the_outcome_unknown():
    error = fault_error(None, status=502, operation="write")
    assert error.kind == "transient" and error.outcome_unknown and error.retryable
    assert not fault_error(None, status=502, operation="read").outcome_unknown


def test_retry_after_is_passed_through():
    assert fault_error(None, status=429, operation="read", retry_after=12).retry_after == 12


def test_codes_are_compared_without_zero_padding():
    assert normalise_code("003200") == "3200"
    assert normalise_code(610) == "610"
    assert normalise_code("0") == "0"


def test_every_table_row_uses_a_stable_snake_case_code():
    for code in faults.QBO_FAULTS.codes():
        resolution = faults.QBO_FAULTS.lookup(code, "")
        if resolution is not None:
            assert resolution.code.replace("_", "").isalpha() and resolution.code.islower()
