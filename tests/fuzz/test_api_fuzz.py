"""Schemathesis against a served billpay: every operation of /openapi.json, as admin, clerk, approver,
viewer and unauthenticated, with generated valid and invalid bodies, headers, query strings and paths, on
generated ids, on the organization's own ids and on another organization's ids.

Holds: no 5xx; every refusal is application/problem+json with a `code` the operation declares; answers
match their declared schemas; a refused request writes nothing; another organization's records are never
reachable. Bounded: FUZZ_EXAMPLES examples per operation (default 12). docs/reliability.md has the figures.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from billpay.web.api.contract import codes_for
from billpay.web.app import create_app

from ..conftest import make_container
from .conftest import ROLES

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
STATS = {"cases": 0, "by_status": {}}



def _document() -> dict:
    """The document the served instance answers at /openapi.json (checked in test_fuzz_report)."""
    with tempfile.TemporaryDirectory() as d:
        c = make_container(f"sqlite:///{d}/unused.sqlite3", Path(d))
        try:
            return create_app(c, mount_sandboxes=False).openapi()
        finally:
            c.engine.dispose()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
# unknown query parameters are ignored, as most HTTP APIs do; the key is sent by the test, per role
schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
                                max_examples=EXAMPLES, deterministic=True, allow_extra_parameters=True,
                                with_security_parameters=False)
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")


def problem_with_declared_code(ctx, response, case) -> None:  # noqa: ANN001
    """A refusal is problem+json whose `code` is one the operation declares."""
    if response.status_code < 400:
        return
    ctype = response.headers.get("content-type", [""])
    ctype = ctype[0] if isinstance(ctype, list) else ctype
    assert ctype.startswith("application/problem+json"), f"{response.status_code} answered as {ctype}"
    body = json.loads(response.content)
    assert body.get("code") and body.get("detail"), body
    declared = codes_for(case.method, case.operation.path)
    assert body["code"] in declared, f"code {body['code']!r} is not declared for {case.method} {case.path}"


WHO = (*ROLES, None)
TARGETS = ("generated", "own", "other")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
def test_api_fuzz(case, served):
    # who calls and on whose ids turn over with every case, so each operation meets every combination
    n = STATS["cases"]
    who, target, pick = WHO[n % len(WHO)], TARGETS[(n // len(WHO)) % len(TARGETS)], n // 15
    if target != "generated" and case.path_parameters:
        tenant = served.a if target == "own" else served.b
        for name in list(case.path_parameters):
            ids = tenant.ids.get(name) or []
            if ids:
                case.path_parameters[name] = ids[pick % len(ids)]
    headers = {"Authorization": f"Bearer {served.a.keys[who]}"} if who else {}
    writes = case.method.upper() != "GET"
    before = served.fingerprint() if writes else None
    response = case.call(base_url=served.base_url, headers=headers, timeout=30)
    STATS["cases"] += 1
    STATS["by_status"][response.status_code] = STATS["by_status"].get(response.status_code, 0) + 1
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                             content_type_conformance, response_schema_conformance,
                                             negative_data_rejection, problem_with_declared_code],
                           headers=headers)
    if writes and response.status_code >= 400:
        assert served.fingerprint() == before, f"refused {case.method} {case.path} ({response.status_code}) wrote"
    if target == "other" and who and case.path_parameters:
        crossed = any(v in (served.b.ids.get(k) or []) for k, v in case.path_parameters.items() if k.endswith("_id"))
        if crossed:
            assert response.status_code >= 400, f"{case.method} {case.path} reached another organization's record"


def test_fuzz_report(served):
    """Runs last in this module: prints how many cases were generated (docs/reliability.md)."""
    import httpx

    assert httpx.get(served.base_url + "/openapi.json").json() == json.loads(json.dumps(DOCUMENT))
    print(f"\nfuzz: {STATS['cases']} cases, statuses {dict(sorted(STATS['by_status'].items()))}")
