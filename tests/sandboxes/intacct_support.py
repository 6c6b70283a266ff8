"""Helpers for the Intacct sandbox tests: a seeded company and raw XML requests written by hand,
as the Intacct documentation shows them (no connector code involved)."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import httpx
from lxml import etree

from billpay.sandboxes.intacct import IntacctState, create_app, in_process_transport
from billpay.sandboxes.intacct.server import prepare

BASE = "http://intacct.sandbox.test"
GATEWAY = "/ia/xml/xmlgw.phtml"
_ids = itertools.count(1)


@dataclass
class Company:
    state: IntacctState
    http: httpx.Client
    info: dict

    @property
    def id(self) -> str:
        return self.info["company_id"]

    def envelope(self, functions: str, *, session: str | None = None, entity: str | None = "E100",
                 unique: bool = False, transaction: bool = False, sender_password: str | None = None,
                 user_password: str | None = None) -> str:
        info = self.info
        if session is not None:
            auth = f"<sessionid>{session}</sessionid>"
        else:
            location = f"<locationid>{entity}</locationid>" if entity else "<locationid></locationid>"
            auth = (f"<login><userid>{info['user_id']}</userid><companyid>{info['company_id']}</companyid>"
                    f"<password>{user_password or info['user_password']}</password>{location}</login>")
        return (f'<?xml version="1.0" encoding="UTF-8"?><request><control><senderid>{info["sender_id"]}</senderid>'
                f"<password>{sender_password or info['sender_password']}</password><controlid>ctl-{next(_ids)}"
                f"</controlid><uniqueid>{'true' if unique else 'false'}</uniqueid><dtdversion>3.0</dtdversion>"
                f"<includewhitespace>false</includewhitespace></control>"
                f'<operation transaction="{"true" if transaction else "false"}"><authentication>{auth}'
                f"</authentication><content>{functions}</content></operation></request>")

    def post(self, body: str, **headers: str) -> httpx.Response:
        return self.http.post(GATEWAY, content=body.encode(), headers={"content-type": "application/xml", **headers})

    def call(self, functions: str, **kw) -> etree._Element:
        response = self.post(self.envelope(functions, **kw))
        assert response.status_code == 200, response.text
        return etree.fromstring(response.content)

    def session(self, entity: str | None = "E100") -> str:
        root = self.call(fn("<getAPISession/>"), entity=entity)
        return root.findtext("operation/result/data/api/sessionid")


def fn(body: str, control_id: str | None = None) -> str:
    return f'<function controlid="{control_id or f"fn-{next(_ids)}"}">{body}</function>'


def bill_xml(vendor: str = "V0001", number: str = "INV-1", amount: str = "100.00", location: str = "L110",
             extra_line: str = "", **header: str) -> str:
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in header.items())
    return (f"<create><APBILL><WHENCREATED>11/20/2026</WHENCREATED><VENDORID>{vendor}</VENDORID>"
            f"<RECORDID>{number}</RECORDID><WHENDUE>12/20/2026</WHENDUE>{fields}<APBILLITEMS><APBILLITEM>"
            f"<ACCOUNTNO>6000</ACCOUNTNO><TRX_AMOUNT>{amount}</TRX_AMOUNT><ENTRYDESCRIPTION>Line one"
            f"</ENTRYDESCRIPTION><LOCATIONID>{location}</LOCATIONID><DEPARTMENTID>D100</DEPARTMENTID></APBILLITEM>"
            f"{extra_line}</APBILLITEMS></APBILL></create>")


def results(root: etree._Element) -> list[etree._Element]:
    return root.findall("operation/result")


def error_of(element: etree._Element) -> dict:
    error = element.find(".//errormessage/error")
    assert error is not None, etree.tostring(element)
    return {child.tag: (child.text or "") for child in error}


#: The sandbox clock in these tests: a fixed instant (tests never read the wall clock).
NOW = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.timezone.utc)


def seeded() -> Company:
    state = IntacctState()
    state.clock.freeze(NOW)
    info = prepare(state, BASE)
    http = httpx.Client(transport=in_process_transport(create_app(state)), base_url=BASE)
    return Company(state, http, info)
