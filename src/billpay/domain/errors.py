"""The one error family of billpay.

Every refusal carries a stable machine ``code`` (part of the public contract:
scripts match on it) and a ``detail`` sentence for people. The web layer turns
these into ``application/problem+json`` with the HTTP status given here.
"""
from __future__ import annotations


class BillPayError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, status: int | None = None,
                 field: str | None = None, extra: dict | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field
        self.extra = extra or {}


class ValidationError(BillPayError):
    status = 422
    code = "validation_error"


class InvalidTransition(BillPayError):
    """An action is not allowed from the record's current status."""

    status = 409
    code = "invalid_transition"

    def __init__(self, record: str, action: str, status_now: str, detail: str | None = None) -> None:
        super().__init__(
            detail or f"A {record} that is {status_now.replace('_', ' ')} cannot be {action}.",
            extra={"record": record, "action": action, "current_status": status_now},
        )


class ImmutableField(BillPayError):
    status = 409
    code = "bill_field_immutable"


class ReadOnlyRecord(BillPayError):
    status = 409
    code = "bill_read_only"


class NotFound(BillPayError):
    status = 404
    code = "not_found"


class Conflict(BillPayError):
    status = 409
    code = "conflict"


class PermissionDenied(BillPayError):
    status = 403
    code = "forbidden"
