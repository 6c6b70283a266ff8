"""What each API operation accepts and answers, written into ``/openapi.json``.

Routes that declare their bodies with pydantic parameters and ``response_model`` need nothing here.
For the others this module names, per operation (``"METHOD /api/v1/path"``): the answer's model, a
request body read by hand (``POST /bills`` takes JSON or multipart), and that the operation takes no
body at all. Every operation also gets its refusals: ``application/problem+json`` whose ``code`` is one
of the codes listed for it. ``tests/api/test_openapi_contract.py`` fails when an operation is left
undeclared; the fuzz run (``tests/fuzz``) fails when an answer or a refusal code is not the declared one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from . import control_schemas as cs
from . import models as m

PROBLEM_MEDIA = "application/problem+json"


@dataclass(frozen=True)
class Op:
    response: type[BaseModel] | tuple[type[BaseModel], ...] | None = None  # the 2xx JSON answer (one of)
    request: dict[str, type[BaseModel]] | None = None  # media type -> model, for bodies read by hand
    no_body: bool = False  # the operation reads no request body
    optional_body: bool = False  # the request body may be left out
    media: str | None = None  # a 2xx answer that is a file, not JSON: its media type
    codes: tuple[str, ...] = ()


# --- problem codes, by area -----------------------------------------------------------------------------
REQUEST = ("field_unknown", "field_required", "type_invalid", "json_invalid", "value_invalid", "date_invalid",
           "value_too_long", "validation_error", "bad_request", "body_required")
ALWAYS = ("unauthorized", "forbidden", "internal_error", "not_found", "method_not_allowed", "http_error",
          *REQUEST)
MONEY = ("amount_invalid", "amount_negative", "amount_too_large", "amount_too_precise", "amount_zero",
         "currency_mismatch", "currency_unknown", "allocation_empty", "allocation_invalid")
CODING = ("attribute_unknown", "attribute_value_inactive", "attribute_value_unknown", "attributes_invalid")
SPLITS = ("lines_required", "lines_sum_mismatch", "percentage_invalid", "percentages_sum_mismatch",
          "line_amount_required", "lines_too_many", "split_mode_mixed", "no_line_items", "line_items_invalid",
          "line_items_exceed_total", "amount_required")
BILL_FIELDS = ("amount_required", "attributes_incomplete", "bill_incomplete", "due_before_invoice_date",
               "invoice_number_invalid", "terms_invalid", "source_unknown", "status_unknown",
               "bill_field_immutable", "bill_read_only", "invalid_transition", "conflict")
BILL_WRITE = BILL_FIELDS + MONEY + CODING + SPLITS
UPLOAD = ("file_required", "empty_file", "file_too_large")
BILL_FLOW = ("low_confidence_unconfirmed", "vendor_not_mapped", "not_connected", "invalid_transition",
             "bill_read_only", "bill_incomplete", "conflict")
#: held until a person decides (duplicates), what the connected platform would refuse, credit notes
CONTROLS = ("duplicate_unresolved", "attributes_incomplete", "currency_not_supported", "period_closed",
            "vendor_not_mapped", "vendor_credits_unsupported")
PAYMENT_RULES = ("amount_exceeds_open_balance", "approval_deadline_passed", "approval_overdue",
                 "bank_details_unverified", "reason_required", "vendor_payment_details_missing",
                 "pay_date_in_past", "pay_date_not_business_day", "method_not_supported", "invalid_transition",
                 "approval_complete", "approval_duplicate", "approval_invalid",
                 "approval_rejected", "approval_not_allowed", "approval_self_only",
                 "conflict", *MONEY)
RAILS = ("invalid_transition", "approval_required", "release_refused", "originator_missing", "originator_invalid", "return_code_invalid",
         "return_code_required", "sandbox_outcome_invalid", "unknown_return_code",
         *PAYMENT_RULES)
VENDOR = ("name_required", "accounting_vendor_inactive", "accounting_vendor_unknown", "account_number_invalid",
          "bank_details_incomplete", "bic_invalid", "iban_invalid", "routing_number_invalid", "email_invalid",
          "currency_unknown", "terms_invalid", "conflict")
BANK_VERIFY = ("bank_details_not_pending", "bank_details_self_verification")
RULES = ("name_required", "rule_amount_range_invalid", "rule_attributes_required", "rule_condition_invalid",
         "rule_condition_required", "rule_condition_unknown", "amount_invalid", "too_many_bills", *CODING)
POLICY = ("policy_invalid", "policy_duplicate_approver", "policy_required_invalid", "policy_step_no_approvers",
          "policy_threshold_invalid", "policy_required_exceeds_approvers", "policy_thresholds_not_ascending",
          "policy_unknown_role", "user_not_found")
SETTINGS = ("setting_invalid", "setting_unknown", "timezone_invalid", "pull_start_date_required",
            "originator_missing", "originator_invalid", "routing_number_invalid", "iban_invalid", "bic_invalid",
            "account_number_invalid")
USERS = ("email_invalid", "password_too_short", "roles_invalid", "user_exists", "user_not_found")
CONNECTION = ("connection_incomplete", "platform_not_available", "platform_unknown", "not_connected",
              "platform_host_not_allowed")
OAUTH = ("oauth_exchange_failed", "oauth_state_invalid", *CONNECTION)
INBOUND = ("inbound_signature_invalid", "message_too_large")

V1 = "/api/v1"
OPERATIONS: dict[str, Op] = {
    # bills
    "POST /bills": Op((m.BillOut, m.BillUploads), request={"application/json": m.BillCreate, "multipart/form-data": m.BillUpload},
                      codes=BILL_WRITE + UPLOAD + ("vendor_not_mapped", "vendor_not_found", "kind_invalid")),
    "GET /bills": Op(m.BillList, codes=("status_unknown", "source_unknown")),
    "POST /bills/apply-rules": Op(m.RuleApplication, codes=RULES + BILL_FIELDS + ("bill_not_found",)),
    "GET /bills/{bill_id}": Op(m.BillOut),
    "PATCH /bills/{bill_id}": Op(m.BillOut, codes=BILL_WRITE + ("vendor_not_found",)),
    "PUT /bills/{bill_id}/lines": Op(m.BillOut, codes=BILL_WRITE),
    "POST /bills/{bill_id}/split-by-line-items": Op(m.BillOut, no_body=True, codes=BILL_WRITE),
    "POST /bills/{bill_id}/confirm": Op(m.BillOut, codes=BILL_WRITE + BILL_FLOW),
    "POST /bills/{bill_id}/send-to-payments": Op(m.BillSentToPayments, codes=BILL_FLOW + PAYMENT_RULES + CONTROLS),
    "POST /bills/{bill_id}/resync": Op(m.BillOut, no_body=True, codes=BILL_FLOW),
    "POST /bills/{bill_id}/void": Op(m.BillOut, codes=BILL_FLOW),
    "POST /bills/{bill_id}/not-a-duplicate": Op(m.BillOut, codes=("reason_required", "reason_too_long",
                                                                  "duplicate_not_flagged")),
    "GET /bills/{bill_id}/sync-history": Op(m.SyncHistory),
    "GET /bills/{bill_id}/document": Op(media="application/octet-stream", codes=("document_not_found",)),
    # vendors
    "GET /vendors": Op(m.VendorList),
    "POST /vendors": Op(m.VendorOut, codes=VENDOR),
    "GET /vendors/{vendor_id}": Op(m.VendorOut),
    "PATCH /vendors/{vendor_id}": Op(m.VendorOut, codes=VENDOR),
    "GET /vendors/{vendor_id}/mapping-suggestions": Op(m.VendorSuggestions),
    "POST /vendors/{vendor_id}/verify-bank-details": Op(m.VendorOut, no_body=True, codes=BANK_VERIFY),
    "POST /vendors/{vendor_id}/create-in-platform": Op(cs.VendorInPlatform, no_body=True, codes=(
        "not_connected", "create_vendors_unsupported", "vendor_already_mapped")),
    # mapping rules
    "GET /mapping-rules": Op(m.RuleList),
    "POST /mapping-rules": Op(m.RuleOut, codes=RULES + ("vendor_not_found",)),
    "POST /mapping-rules/preview": Op(m.RulePreview, codes=RULES + ("vendor_not_found",)),
    "PATCH /mapping-rules/{rule_id}": Op(m.RuleOut, codes=RULES + ("vendor_not_found",)),
    "DELETE /mapping-rules/{rule_id}": Op(),
    # payments
    "GET /payments": Op(m.PaymentList, codes=("status_unknown",)),
    "GET /payments/{payment_id}": Op(m.PaymentOut),
    "PATCH /payments/{payment_id}": Op(m.PaymentOut, codes=PAYMENT_RULES),
    "POST /payments/schedule-suggested": Op(cs.ScheduleOutcomes),
    "POST /payments/{payment_id}/schedule": Op(m.PaymentOut, codes=PAYMENT_RULES + ("duplicate_unresolved",)),
    "POST /payments/{payment_id}/approve": Op(m.PaymentOut, codes=PAYMENT_RULES + ("duplicate_unresolved",)),
    "POST /payments/{payment_id}/reject": Op(m.PaymentOut, codes=PAYMENT_RULES),
    "POST /payments/{payment_id}/cancel": Op(m.PaymentOut, codes=PAYMENT_RULES),
    "GET /payments/{payment_id}/sync-history": Op(m.SyncHistory),
    "POST /sandbox-bank/settle": Op(m.PaymentOut, codes=RAILS + ("payment_not_found",)),
    "GET /bank-files": Op(m.BankFileList),
    "GET /bank-files/{file_id}/download": Op(media="application/octet-stream"),
    # approval policy, settings
    "GET /approval-policy": Op(m.ApprovalPolicy),
    "PUT /approval-policy": Op(m.ApprovalPolicy, request={"application/json": m.ApprovalPolicy}, codes=POLICY),
    "GET /settings": Op(m.SettingsOut),
    "PATCH /settings": Op(m.SettingsOut, codes=SETTINGS),
    "POST /settings/inbox/regenerate": Op(m.InboxAddress, no_body=True),
    # users, audit
    "GET /users": Op(m.UserList),
    "POST /users": Op(m.UserOut, codes=USERS),
    "PATCH /users/{user_id}": Op(m.UserOut, codes=USERS + ("last_admin", "user_self_lockout")),
    "POST /users/{user_id}/api-keys": Op(m.ApiKeyOut, no_body=True, codes=("user_not_found",)),
    "GET /users/{user_id}/api-keys": Op(m.ApiKeyList),
    "DELETE /users/{user_id}/api-keys/{key_id}": Op(codes=("api_key_not_found",)),
    "GET /audit-events": Op(m.AuditEventList),
    # accounting
    "GET /accounting/connection": Op(m.ConnectionOut),
    "PUT /accounting/connection": Op(m.ConnectionOut, request={"application/json": m.ConnectionIn},
                                     codes=CONNECTION),
    "DELETE /accounting/connection": Op(codes=("not_connected",)),
    "POST /accounting/connection/refresh": Op(m.JobQueued, no_body=True, codes=("not_connected",)),
    "GET /accounting/reference-data/{kind}": Op(m.ReferenceList, codes=("reference_kind_unknown", "not_connected")),
    "GET /accounting/dashboard": Op(m.Dashboard),
    "POST /accounting/sync": Op(m.SyncQueued, request={"application/json": m.SyncIn}, optional_body=True,
                                codes=("not_connected", "payment_not_settled", "payment_not_found")),
    "POST /accounting/sync-bills": Op(m.JobQueued, no_body=True, codes=("not_connected",)),
    "GET /accounting/sync-bills/not-brought-in": Op(cs.NotBroughtIn),
    "PATCH /accounting/connection/options": Op(m.ConnectionOut, request={"application/json": m.ConnectionOptionsIn},
                                               codes=("not_connected", "options_invalid", "bank_account_unknown")),
    "GET /accounting/platforms": Op(m.PlatformList),
    "POST /accounting/retry": Op(m.RetryQueued, request={"application/json": m.RetryIn}, optional_body=True,
                                 codes=("not_connected", "records_invalid", "not_in_error")),
    "GET /jobs/{job_id}": Op(m.JobOut),
    "POST /accounting/connection/oauth/start": Op(m.OAuthStart, request={"application/json": m.OAuthStartIn},
                                                  codes=OAUTH),
    "POST /accounting/connection/oauth/complete": Op(m.ConnectionOut,
                                                     request={"application/json": m.OAuthCompleteIn}, codes=OAUTH),
    # inbox
    "POST /inbound/{token}": Op(m.InboundOut, codes=INBOUND),
    "GET /inbox": Op(m.InboxOut),
}

# Bodies other than JSON, declared as they are read
RAW_BODIES: dict[str, dict[str, Any]] = {
    "POST /inbound/{token}": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
}

# Signed otherwise (the inbound webhook carries an HMAC of its body)
UNAUTHENTICATED = {"POST /inbound/{token}"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details with a stable machine `code` and a human `detail`.",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "code": {"type": "string"}, "detail": {"type": "string"},
        "field": {"type": ["string", "null"], "description": "The request field at fault, when there is one"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}}},
    },
    "additionalProperties": True,
}
PROBLEM_STATUSES = {"400": "Bad request", "401": "Not authenticated", "403": "Not allowed for this role",
                    "404": "Not found (or not this organization's)", "409": "Conflicts with the record's state",
                    "413": "Too large", "422": "Invalid input", "429": "Too many attempts",
                    "500": "Unexpected error; nothing was half-saved"}


def key(method: str, path: str) -> str:
    return f"{method.upper()} {path[len(V1):] if path.startswith(V1) else path}"


# a path parameter names a record; an unknown (or another organization's) id is "<record>_not_found"
NOT_FOUND = {"bill_id": "bill_not_found", "vendor_id": "vendor_not_found", "rule_id": "mapping_rule_not_found",
             "payment_id": "payment_not_found", "file_id": "bank_file_not_found", "job_id": "job_not_found",
             "user_id": "user_not_found"}


def codes_for(method: str, path: str) -> list[str]:
    op = OPERATIONS.get(key(method, path), Op())
    found = {code for name, code in NOT_FOUND.items() if "{" + name + "}" in path}
    return sorted(set(ALWAYS) | set(op.codes) | found)


def _add_model(schema: dict, model: type[BaseModel]) -> dict:
    body = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, sub in body.pop("$defs", {}).items():
        comps.setdefault(name, sub)
    comps[model.__name__] = body
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def apply(schema: dict) -> dict:
    """Write the declarations above into an OpenAPI document built by FastAPI."""
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    comps["Problem"] = PROBLEM_SCHEMA
    schema["components"]["securitySchemes"] = {"apiKey": {
        "type": "http", "scheme": "bearer", "description": "An API key: POST /api/v1/users/{id}/api-keys"}}
    schema["security"] = [{"apiKey": []}]
    comps.pop("HTTPValidationError", None)
    comps.pop("ValidationError", None)
    for path, ops in schema.get("paths", {}).items():
        for method, operation in ops.items():
            k = key(method, path)
            op = OPERATIONS.get(k, Op())
            responses = operation.setdefault("responses", {})
            ok = next((c for c in responses if c.startswith("2")), "200")
            if op.response is not None:
                models = op.response if isinstance(op.response, tuple) else (op.response,)
                refs = [_add_model(schema, model) for model in models]
                responses.setdefault(ok, {"description": "OK"})["content"] = {
                    "application/json": {"schema": refs[0] if len(refs) == 1 else {"anyOf": refs}}}
            elif op.media is not None:
                responses.setdefault(ok, {"description": "OK"})["content"] = {
                    op.media: {"schema": {"type": "string", "format": "binary"}}}
            if op.request:
                operation["requestBody"] = {"required": not op.optional_body, "content": {
                    media: {"schema": _add_model(schema, model)} for media, model in op.request.items()}}
            if k in RAW_BODIES:
                operation["requestBody"] = {"required": True, "content": RAW_BODIES[k]}
            if k in UNAUTHENTICATED:
                operation["security"] = []
            if op.no_body:
                operation["x-request-body"] = "none"
            name = "Problem_" + re.sub(r"\W+", "_", operation.get("operationId") or k).strip("_")
            comps[name] = {"allOf": [{"$ref": "#/components/schemas/Problem"}, {
                "type": "object", "properties": {"code": {"type": "string", "enum": codes_for(method, path)}}}]}
            for status, description in PROBLEM_STATUSES.items():
                responses[status] = {"description": description, "content": {
                    PROBLEM_MEDIA: {"schema": {"$ref": f"#/components/schemas/{name}"}}}}
            operation["x-problem-codes"] = codes_for(method, path)
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = apply(get_openapi(
                title=app.title, version=app.version, openapi_version=app.openapi_version,
                description=app.description, routes=app.routes, tags=app.openapi_tags, servers=app.servers))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
