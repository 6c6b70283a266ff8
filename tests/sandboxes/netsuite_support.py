"""Shared pieces for the NetSuite sandbox tests: a seeded account and signed clients.

Requests are signed with authlib's OAuth 1.0a client (what the ``netsuite`` PyPI client uses), not
with billpay's connector, so the sandbox is checked against an independent implementation.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import jwt
import netsuite.rest_api_base  # noqa: F401 - registers authlib's HMAC-SHA256 signature method
from authlib.integrations.httpx_client import OAuth1Auth

from billpay.sandboxes.netsuite import NetSuiteState, create_app, in_process_transport

BASE = "https://1234567-sb1.suitetalk.sandbox.test"
REST = BASE + "/services/rest"


@dataclass
class Company:
    state: NetSuiteState
    info: dict

    @property
    def account_id(self) -> str:
        return self.info["account_id"]

    @property
    def acct(self):
        return self.state.account(self.account_id)

    def first(self, rtype: str, **where) -> dict:
        return next(r for r in self.acct.values(rtype) if all(r.get(k) == v for k, v in where.items()))


def seeded(vendors: int = 5) -> Company:
    state = NetSuiteState()
    account = state.seed_account(vendors=vendors)
    return Company(state, state.credentials(account, BASE))


def tba(info: dict, *, realm: str | None = None, **overrides) -> OAuth1Auth:
    values = {"client_id": info["consumer_key"], "client_secret": info["consumer_secret"],
              "token": info["token_id"], "token_secret": info["token_secret"], "force_include_body": True,
              **overrides}
    return OAuth1Auth(realm=realm or info["account_id"], signature_method="HMAC-SHA256", **values)


def client(company: Company, auth=None, base: str = BASE) -> httpx.Client:
    return httpx.Client(transport=in_process_transport(create_app(company.state)), base_url=base,
                        auth=auth if auth is not None else tba(company.info))


def assertion(info: dict, *, now: float | None = None, aud: str | None = None, lifetime: int = 3600,
              kid: str | None = None, alg: str = "PS256") -> str:
    issued = int(now if now is not None else time.time())
    claims = {"iss": info["client_id"], "scope": ["restlets", "rest_webservices"], "aud": aud or info["token_url"],
              "iat": issued, "exp": issued + lifetime, "jti": f"jti-{issued}-{lifetime}-{kid}-{aud}"}
    claims["scope"] = ",".join(claims["scope"])
    return jwt.encode(claims, info["private_key_pem"], algorithm=alg,
                      headers={"kid": kid or info["certificate_id"], "typ": "JWT"})


def ns_error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) >= {"type", "title", "status", "o:errorDetails"}, body
    detail = body["o:errorDetails"][0]
    assert detail["detail"] and body["status"] == response.status_code
    return response.status_code, detail["o:errorCode"]


def bill(company: Company, amount: str = "100.00", **extra) -> dict:
    expense = company.first("account", acctType="Expense")["id"]
    vendor = company.first("vendor", subsidiary=company.first("subsidiary", country="US")["id"])["id"]
    return {"entity": {"id": vendor}, "tranId": extra.pop("tranId", "INV-1"), "tranDate": "2024-05-01",
            "expense": {"items": [{"account": {"id": expense}, "amount": amount, "memo": "Line 1"}]}, **extra}
