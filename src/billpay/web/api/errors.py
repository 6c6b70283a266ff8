"""Every error leaves as ``application/problem+json`` with a stable ``code``; never a stack trace."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ...domain.errors import BillPayError

log = logging.getLogger("billpay.api")
PROBLEM = "application/problem+json"

_PYDANTIC_CODES = {
    "extra_forbidden": "field_unknown",
    "missing": "field_required",
    "date_from_datetime_parsing": "date_invalid",
    "date_parsing": "date_invalid",
    "date_from_datetime_inexact": "date_invalid",
    "date_type": "date_invalid",
    "string_type": "type_invalid",
    "int_type": "type_invalid",
    "int_parsing": "type_invalid",
    "bool_type": "type_invalid",
    "bool_parsing": "type_invalid",
    "list_type": "type_invalid",
    "dict_type": "type_invalid",
    "model_type": "type_invalid",
    "json_invalid": "json_invalid",
    "literal_error": "value_invalid",
    "enum": "value_invalid",
    "string_too_long": "value_too_long",
}


def problem(status: int, code: str, detail: str, *, title: str | None = None, **extra) -> JSONResponse:
    body = {"type": f"https://billpay.dev/problems/{code}", "title": title or code.replace("_", " ").capitalize(),
            "status": status, "code": code, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install(app: FastAPI) -> None:
    @app.exception_handler(BillPayError)
    async def _billpay(request: Request, exc: BillPayError):  # noqa: ANN202
        extra = dict(exc.extra)
        if exc.field:
            extra["field"] = exc.field
        return problem(exc.status, exc.code, exc.detail, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):  # noqa: ANN202
        errors = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")]
            errors.append({"field": ".".join(loc), "code": _PYDANTIC_CODES.get(e.get("type", ""), "value_invalid"),
                           "message": e.get("msg", "")})
        first = errors[0] if errors else {"code": "validation_error", "field": "", "message": "invalid"}
        detail = f"{first['field'] or 'request'}: {first['message']}"
        return problem(422, first["code"], detail, errors=errors, field=first["field"])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):  # noqa: ANN202
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(exc.status_code, "http_error")
        return problem(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # noqa: ANN202
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "Something went wrong on our side. Nothing was half-saved; "
                       "please try again, and tell your administrator if it keeps happening.")
