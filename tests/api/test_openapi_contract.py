"""/openapi.json is enough to write a client: every body typed, every refusal a declared problem code.

This walks every operation of the document, so an operation added later is held to the same rules."""
from __future__ import annotations

import pytest

from billpay.web.app import create_app

from ..conftest import make_container

WRITES = {"post", "put", "patch"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory, sqlite_template):
    import shutil

    d = tmp_path_factory.mktemp("openapi")
    shutil.copy(sqlite_template, d / "db.sqlite3")
    c = make_container(f"sqlite:///{d / 'db.sqlite3'}", d / "data")
    try:
        return create_app(c, mount_sandboxes=False).openapi()
    finally:
        c.engine.dispose()


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def typed(spec: dict, schema: dict | None) -> bool:
    """A body schema says what is in it: not ``{}``, not a bare object without properties."""
    if not schema:
        return False
    schema = resolve(spec, schema)
    for combo in ("allOf", "anyOf", "oneOf"):
        if combo in schema:
            return all(typed(spec, sub) for sub in schema[combo])
    if schema.get("type") == "object" or ("properties" in schema and "type" not in schema):
        extra = schema.get("additionalProperties")
        return bool(schema.get("properties")) or isinstance(extra, dict) and bool(extra)
    return bool(schema.get("type") or schema.get("enum") or schema.get("const"))


def operations(spec: dict):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path.startswith("/api/v1"):
                yield method, path, op


def test_every_request_body_is_declared_and_typed(spec):
    missing = []
    for method, path, op in operations(spec):
        body = op.get("requestBody")
        if body is None:
            if method in WRITES and op.get("x-request-body") != "none":
                missing.append(f"{method.upper()} {path}: no request body declared (nor x-request-body: none)")
            continue
        for media, content in body.get("content", {}).items():
            if not typed(spec, content.get("schema")):
                missing.append(f"{method.upper()} {path}: {media} body is untyped")
    assert not missing, "\n".join(missing)


def test_every_response_body_is_declared_and_typed(spec):
    missing = []
    for method, path, op in operations(spec):
        oks = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert oks, f"{method.upper()} {path} declares no success answer"
        for code, r in oks.items():
            if code == "204":
                assert not r.get("content"), f"{method.upper()} {path}: 204 with a body"
                continue
            content = r.get("content") or {}
            if not content:
                missing.append(f"{method.upper()} {path} {code}: no body declared")
            for media, c in content.items():
                if not typed(spec, c.get("schema")):
                    missing.append(f"{method.upper()} {path} {code}: {media} answer is untyped")
    assert not missing, "\n".join(missing)


def test_every_refusal_is_problem_json_with_a_declared_code(spec):
    for method, path, op in operations(spec):
        refusals = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        assert {"401", "403", "404", "422", "500"} <= set(refusals), f"{method.upper()} {path}"
        for code, r in refusals.items():
            assert list(r["content"]) == ["application/problem+json"], f"{method.upper()} {path} {code}"
            schema = r["content"]["application/problem+json"]["schema"]
            enum = [sub for sub in resolve(spec, schema)["allOf"] if "properties" in sub][0]["properties"]["code"]
            assert {"unauthorized", "forbidden", "internal_error"} <= set(enum["enum"])
        assert "HTTPValidationError" not in str(op)


def test_bill_creation_declares_manual_entry_and_upload_with_examples(spec):
    content = spec["paths"]["/api/v1/bills"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    manual = resolve(spec, content["application/json"]["schema"])
    assert {"vendor_id", "invoice_number", "invoice_date", "due_date", "amount", "currency", "lines"} <= set(
        manual["properties"])
    assert manual["examples"][0]["amount"] == "1250.00"
    upload = resolve(spec, content["multipart/form-data"]["schema"])
    assert {"type": "string", "format": "binary"} in upload["properties"]["file"]["anyOf"]
    policy = spec["paths"]["/api/v1/approval-policy"]["put"]["requestBody"]["content"]["application/json"]
    assert resolve(spec, policy["schema"])["examples"][0]["steps"]
    assert "bill_field_immutable" in spec["paths"]["/api/v1/bills/{bill_id}"]["patch"]["x-problem-codes"]
    assert "vendor_not_mapped" in spec["paths"]["/api/v1/bills/{bill_id}/confirm"]["post"]["x-problem-codes"]


def test_the_names_spec_fixes_are_all_there(spec):
    fixed = {
        ("post", "/bills"), ("get", "/bills"), ("get", "/bills/{bill_id}"), ("patch", "/bills/{bill_id}"),
        ("post", "/bills/{bill_id}/confirm"), ("post", "/bills/{bill_id}/send-to-payments"),
        ("post", "/bills/{bill_id}/resync"), ("post", "/bills/{bill_id}/void"), ("put", "/bills/{bill_id}/lines"),
        ("post", "/bills/{bill_id}/split-by-line-items"), ("get", "/bills/{bill_id}/document"),
        ("get", "/vendors"), ("post", "/vendors"), ("get", "/vendors/{vendor_id}"), ("patch", "/vendors/{vendor_id}"),
        ("get", "/mapping-rules"), ("post", "/mapping-rules"), ("patch", "/mapping-rules/{rule_id}"),
        ("delete", "/mapping-rules/{rule_id}"), ("get", "/payments"), ("get", "/payments/{payment_id}"),
        ("patch", "/payments/{payment_id}"), ("post", "/payments/{payment_id}/schedule"),
        ("post", "/payments/{payment_id}/approve"), ("post", "/payments/{payment_id}/reject"),
        ("post", "/payments/{payment_id}/cancel"), ("get", "/approval-policy"), ("put", "/approval-policy"),
        ("get", "/settings"), ("patch", "/settings"), ("get", "/accounting/connection"),
        ("put", "/accounting/connection"), ("post", "/accounting/connection/refresh"),
        ("get", "/accounting/reference-data/{kind}"), ("get", "/accounting/dashboard"), ("post", "/accounting/sync"),
        ("post", "/accounting/sync-bills"), ("post", "/sandbox-bank/settle"), ("get", "/users"), ("post", "/users"),
        ("patch", "/users/{user_id}"), ("post", "/users/{user_id}/api-keys"), ("get", "/audit-events"),
    }
    present = {(m, p[len("/api/v1"):]) for m, p, _ in operations(spec)}
    assert fixed <= present, fixed - present
    settle = resolve(spec, spec["paths"]["/api/v1/sandbox-bank/settle"]["post"]["requestBody"]["content"][
        "application/json"]["schema"])
    assert {"payment_id", "outcome", "return_code"} <= set(settle["properties"])
