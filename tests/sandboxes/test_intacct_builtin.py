"""The built-in Intacct sandbox: one seeded multi-entity company per organization, kept in the data dir."""
from __future__ import annotations

from decimal import Decimal

import httpx
from lxml import etree

from billpay.sandboxes.intacct.builtin import MOUNT, IntacctBuiltin


def test_each_organization_gets_its_own_company_and_it_survives_a_restart(tmp_path):
    path = tmp_path / "sandbox-intacct.json"
    builtin = IntacctBuiltin(path)
    first = builtin.provision("org_a", "http://app.test/sandbox/intacct")
    again = builtin.provision("org_a", "http://app.test/sandbox/intacct")
    other = builtin.provision("org_b", "http://app.test/sandbox/intacct")
    assert first == again and first["company_id"] != other["company_id"]
    assert first["endpoint_url"] == "http://app.test/sandbox/intacct/ia/xml/xmlgw.phtml"
    assert first["options"] == {"bank_accounts": {"USD": "BOA-USD"}} and first["entity_id"] == "E100"
    company = builtin.state.company(first["company_id"])
    assert set(company.entities) == {"E100", "E200"} and {e.currency for e in company.entities.values()} == \
        {"USD", "EUR"}
    builtin.state.create_bill_outside(first["company_id"], vendor_id="V0001", when=company.local(
        builtin.state.now()).date(), number="KEEP-1", lines=[{"ACCOUNTNO": "6000", "TRX_AMOUNT": Decimal("5"),
                                                            "LOCATIONID": "L110"}])
    restarted = IntacctBuiltin(path)
    assert restarted.provision("org_a", "http://app.test/sandbox/intacct") == first
    assert restarted.state.count(first["company_id"], "APBILL") == 1


def test_the_mounted_app_answers_in_process_under_its_prefix(tmp_path):
    builtin = IntacctBuiltin(None)
    info = builtin.provision("org_a", "http://app.test" + MOUNT)
    body = (f"<request><control><senderid>{info['sender_id']}</senderid><password>{info['sender_password']}</password>"
            "<controlid>c</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation>"
            f"<authentication><login><userid>{info['user_id']}</userid><companyid>{info['company_id']}</companyid>"
            f"<password>{info['user_password']}</password></login></authentication><content>"
            '<function controlid="f"><getAPISession/></function></content></operation></request>')
    with httpx.Client(transport=builtin.transport) as client:
        answer = etree.fromstring(client.post(info["endpoint_url"], content=body).content)
    assert answer.findtext("operation/result/data/api/endpoint") == info["endpoint_url"]
