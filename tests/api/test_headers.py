"""Security headers on pages, and originals served with a safe type and Content-Disposition."""
from __future__ import annotations

import pytest

from billpay.web.documents import original_headers


def test_pages_carry_a_csp_without_inline_script_and_may_not_be_framed(client):
    r = client.get("/login")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text and " onclick=" not in r.text


def test_api_answers_are_not_sniffed(org):
    assert org.get("/bills").headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("mime,name,media,inline", [
    ("application/pdf", "inv.pdf", "application/pdf", True),
    ("image/png", "scan.png", "image/png", True),
    ("text/html", "evil.html", "application/octet-stream", False),
    ("image/svg+xml", "x.svg", "application/octet-stream", False),
    ("application/xml", "e-invoice.xml", "application/octet-stream", False),
    (None, None, "application/octet-stream", False),
])
def test_originals_are_shown_inline_only_when_safe(mime, name, media, inline):
    got_media, disposition = original_headers(mime, name)
    assert got_media == media
    assert disposition.startswith("inline;" if inline else "attachment;")


def test_file_names_cannot_break_the_header():
    _, disposition = original_headers("application/pdf", 'a"b\r\nX-Evil: 1;ü.pdf')
    assert "\r" not in disposition and "\n" not in disposition
    assert 'filename="a_b__X-Evil_ 1__.pdf"' in disposition and "filename*=UTF-8''" in disposition


def test_document_endpoint_downloads_an_uploaded_html_file(org):
    r = org.client.post("/api/v1/bills", headers=org.h(), files={"file": ("x.html", b"<script>alert(1)</script>",
                                                                         "text/html")})
    if r.status_code != 201:
        pytest.skip(f"html upload refused earlier: {r.json()['code']}")
    doc = org.client.get(f"/api/v1/bills/{r.json()['id']}/document", headers=org.h())
    assert doc.headers["content-type"] == "application/octet-stream"
    assert doc.headers["content-disposition"].startswith("attachment;")
