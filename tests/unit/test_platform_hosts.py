"""Connection URLs must name the platform's official hosts or a host the operator allows; nothing connects."""
from __future__ import annotations

import socket

import pytest

from billpay.connectors import registry
from billpay.domain.errors import ValidationError
from billpay.services.platform_hosts import check_connection_urls

QBO = registry.get("quickbooks")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("the host check must not resolve or connect")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("url", [
    "https://quickbooks.api.intuit.com", "https://sandbox-quickbooks.api.intuit.com/v3",
    "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"])
def test_official_hosts_pass(url):
    check_connection_urls(QBO, {"base_url": url, "token_url": url}, "")


@pytest.mark.parametrize("url", [
    "http://10.0.0.5/api", "https://192.168.1.1", "https://172.16.0.1", "http://169.254.169.254/latest/meta-data",
    "http://127.0.0.1:8080", "http://[::1]:80", "https://[fe80::1]", "http://localhost:9000",
    "https://evil.example.com", "https://intuit.com.evil.example", "https://notintuit.com",
    "http://quickbooks.api.intuit.com", "ftp://quickbooks.api.intuit.com", "https://user:pw@quickbooks.api.intuit.com",
    "not a url", "https://quickbooks.api.intuit.com:99999"])
def test_other_hosts_private_and_link_local_are_refused(url):
    with pytest.raises(ValidationError) as e:
        check_connection_urls(QBO, {"base_url": url}, "")
    assert e.value.code == "platform_host_not_allowed" and e.value.field == "base_url"


def test_operator_allowance_opens_exactly_the_named_hosts():
    allowed = "127.0.0.1, localhost"
    check_connection_urls(QBO, {"base_url": "http://127.0.0.1:8123", "token_url": "http://localhost:1/t"}, allowed)
    with pytest.raises(ValidationError):
        check_connection_urls(QBO, {"base_url": "http://127.0.0.2:8123"}, allowed)
    with pytest.raises(ValidationError):
        check_connection_urls(QBO, {"token_url": "http://10.1.1.1/t"}, allowed)
