"""The ASGI application: JSON API under /api/v1, web pages at /, the built-in sandboxes under /sandbox."""
from __future__ import annotations

import hmac
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ..bootstrap import Container
from ..connectors import registry
from ..sync import builtin_sandbox, watch
from .api import contract, docs, errors
from .api.routes import accounting, bills, inbound, resources
from .idempotency import IdempotencyMiddleware
from .sandbox_gate import SandboxGate
from .security_headers import SecurityHeadersMiddleware
from .ui import install as install_ui

log = logging.getLogger("billpay")


def create_app(container: Container, *, mount_sandboxes: bool = True, start_jobs: bool = False) -> FastAPI:
    app = FastAPI(title="billpay", version="0.1.0", openapi_url="/openapi.json", docs_url=None,
                  redoc_url=None, description="Bill Pay with two-way accounting sync. "
                  "Authenticate with `Authorization: Bearer <api key>`. Errors are application/problem+json "
                  "with a stable `code`. POSTs accept `Idempotency-Key`.")
    app.state.container = container
    errors.install(app)
    contract.install(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    for router in (bills.router, resources.router, accounting.router, inbound.router):
        app.include_router(router, prefix="/api/v1")

    docs.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request):
        # Deployment-wide figures for the operator (no organization's data): only with BILLPAY_METRICS_TOKEN.
        token = container.settings.metrics_token
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            return Response(status_code=404)
        return PlainTextResponse(watch.prometheus(watch.snapshot(container)), media_type="text/plain; version=0.0.4")

    install_ui(app, container)
    if mount_sandboxes:
        # Demo equipment, not production surface: each mount answers only an admin (session or API key) of an
        # organization that uses that sandbox, and builds the sandbox on first such use.
        for plugin in registry.plugins():
            if plugin.sandbox is not None:
                app.mount(builtin_sandbox.mount_path(plugin.name), SandboxGate(container, plugin.name))
    if start_jobs:
        @app.on_event("startup")
        def _jobs() -> None:
            from .. import jobs
            jobs.start_in_process(container)
    return app
