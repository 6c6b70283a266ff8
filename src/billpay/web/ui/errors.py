"""Errors on pages: a plain page with the reason in words, never a stack trace.

The JSON API keeps its ``application/problem+json`` answers: each handler here
looks at the path and hands API, sandbox and health requests to the handler
that was installed before it.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ...domain.errors import BillPayError
from .web import CsrfRefused, LoginRequired, is_htmx, redirect, render

log = logging.getLogger("billpay.ui")
NOT_PAGES = ("/api/", "/sandbox", "/openapi.json", "/healthz", "/static/")


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(NOT_PAGES)


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(request, "error.html", status_code=status, title=title, detail=detail)


def install(app: FastAPI) -> None:
    previous = dict(app.exception_handlers)

    def delegate(exc_class):  # noqa: ANN001, ANN202
        handler = previous.get(exc_class)
        if handler is None:
            raise_again = True
        else:
            raise_again = False

        async def call(request: Request, exc: Exception) -> Response:
            if raise_again:
                raise exc
            return await handler(request, exc)
        return call

    api_billpay = delegate(BillPayError)
    api_http = delegate(StarletteHTTPException)
    api_validation = delegate(RequestValidationError)
    api_unexpected = delegate(Exception)

    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return redirect(target)

    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return _error_page(request, 403, "This form was not accepted",
                           "The form did not carry this session's security token, so it may not have come "
                           "from billpay. Nothing was changed. Reload the page and try again.")

    async def billpay_error(request: Request, exc: BillPayError) -> Response:
        if not is_page(request):
            return await api_billpay(request, exc)
        return _error_page(request, exc.status, "That did not work", exc.detail)

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_page(request):
            return await api_http(request, exc)
        titles = {404: "Page not found", 405: "Not allowed here"}
        details = {404: "There is no page at this address. It may have been moved, or the record may belong "
                        "to another organization.",
                   405: "This address does not accept that kind of request."}
        return _error_page(request, exc.status_code, titles.get(exc.status_code, "That did not work"),
                           details.get(exc.status_code, str(exc.detail)))

    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if not is_page(request):
            return await api_validation(request, exc)
        return _error_page(request, 422, "Some input was not understood",
                           "A value on the form could not be read. Go back, check the fields and try again.")

    async def unexpected(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await api_unexpected(request, exc)
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error_page(request, 500, "Something went wrong on our side",
                           "Nothing was half-saved. Please try again, and tell your administrator if it keeps "
                           "happening.")

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(BillPayError, billpay_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
