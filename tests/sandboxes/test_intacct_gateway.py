"""The Intacct sandbox's XML gateway, driven with hand-written documented XML: envelope, authentication,
sessions, result and error shapes, idempotent control ids, transactions, governance and faults."""
from __future__ import annotations

import threading

import httpx
import pytest
from lxml import etree

from .intacct_support import bill_xml, error_of, fn, results, seeded


@pytest.fixture
def co():
    company = seeded()
    yield company
    company.http.close()


def test_every_failure_carries_the_four_error_fields(co):
    bad_sender = co.post(co.envelope(fn("<getAPISession/>"), sender_password="wrong"))
    root = etree.fromstring(bad_sender.content)
    assert bad_sender.status_code == 200 and root.findtext("control/status") == "failure"
    assert root.find("operation") is None  # a control failure has no operation
    error = error_of(root)
    assert set(error) == {"errorno", "description", "description2", "correction"}
    assert error["errorno"] == "XL03000006"

    broken = etree.fromstring(co.post("<request><control><senderid>x</senderid></contro></request>").content)
    assert broken.findtext("control/status") == "failure" and error_of(broken)["errorno"] == "XL03000003"

    login = etree.fromstring(co.post(co.envelope(fn("<getAPISession/>"), user_password="nope")).content)
    assert login.findtext("control/status") == "success"
    assert login.findtext("operation/authentication/status") == "failure"
    assert login.find("operation/errormessage/error/errorno").text == "XL03000006"


def test_a_sender_the_company_has_not_authorized_is_refused_in_intacct_words(co):
    co.state.revoke_sender(co.id, co.info["sender_id"])
    root = co.call(fn("<getAPISession/>"))
    assert root.findtext("operation/authentication/status") == "failure"
    error = error_of(root.find("operation"))
    assert error["description2"] == (f"The sender ID '{co.info['sender_id']}' is not authorized to make Web Services "
                                     f"requests to company ID '{co.id}'.")


def test_get_api_session_hands_out_this_servers_endpoint_and_a_utc_timeout(co):
    body = co.envelope(fn("<getAPISession/>"))
    direct = etree.fromstring(co.post(body).content)
    assert direct.findtext("operation/result/data/api/endpoint") == "http://intacct.sandbox.test/ia/xml/xmlgw.phtml"
    assert direct.findtext("operation/authentication/sessiontimeout").endswith("+00:00")
    assert direct.findtext("operation/result/data/api/locationid") == "E100"
    proxied = etree.fromstring(co.post(co.envelope(fn("<getAPISession/>")), **{
        "x-forwarded-host": "books.example.com", "x-forwarded-proto": "https"}).content)
    assert proxied.findtext("operation/result/data/api/endpoint") == "https://books.example.com/ia/xml/xmlgw.phtml"
    forged = etree.fromstring(co.post(co.envelope(fn("<getAPISession/>")), **{
        "x-forwarded-host": "evil.example/<x>"}).content)
    assert forged.findtext("operation/result/data/api/endpoint").startswith("http://intacct.sandbox.test/")


def test_sessions_work_until_they_expire(co):
    session = co.session()
    ok = co.call(fn("<query><object>APTERM</object><select><field>NAME</field></select></query>"), session=session)
    assert results(ok)[0].findtext("status") == "success"
    co.state.advance_clock(co.state.company(co.id).settings.session_seconds + 1)
    expired = co.call(fn("<query><object>APTERM</object><select><field>NAME</field></select></query>"),
                      session=session)
    assert expired.findtext("operation/authentication/status") == "failure"
    assert "expired" in error_of(expired.find("operation"))["description2"]


def test_create_and_read_results_use_lower_case_tags_query_uses_the_object_name(co):
    created = co.call(fn(bill_xml(number="SHAPE-1", amount="123.45", DESCRIPTION="hello")))
    (result,) = results(created)
    assert result.findtext("status") == "success" and result.find("data").get("listtype") == "objects"
    recordno = result.findtext("data/apbill/RECORDNO")
    read = results(co.call(fn(f"<read><object>APBILL</object><keys>{recordno}</keys><fields>*</fields></read>")))[0]
    bill = read.find("data/apbill")
    assert bill.findtext("TOTALENTERED") == "123.45" and bill.findtext("TOTALDUE") == "123.45"
    assert bill.findtext("STATE") == "Posted" and bill.findtext("MEGAENTITYID") == "E100"
    assert bill.findtext("APBILLITEMS/apbillitem/ACCOUNTNO") == "6000"
    query = results(co.call(fn("<query><object>APBILL</object><select><field>RECORDNO</field><field>TOTALDUE</field>"
                               "</select><filter><equalto><field>RECORDID</field><value>SHAPE-1</value></equalto>"
                               "</filter></query>")))[0]
    data = query.find("data")
    assert data.get("listtype") == "APBILL" and data.get("totalcount") == "1" and data.get("numremaining") == "0"
    assert [child.tag for child in data] == ["APBILL"] and [c.tag for c in data[0]] == ["RECORDNO", "TOTALDUE"]


def test_a_repeated_control_id_is_refused_and_writes_nothing(co):
    first = results(co.call(fn(bill_xml(number="ONCE-1"), "bill_1:create#0"), unique=True))[0]
    assert first.findtext("status") == "success"
    again = results(co.call(fn(bill_xml(number="ONCE-1b"), "bill_1:create#0"), unique=True))[0]
    assert again.findtext("status") == "failure"
    assert "already been recorded with the control id bill_1:create#0" in error_of(again)["description2"]
    assert co.state.count(co.id, "APBILL") == 1
    assert co.state.request_stats()["replayed"] == 1
    # without uniqueid the control id is only echoed: the same id runs again
    co.call(fn(bill_xml(number="TWICE-1"), "free"))
    co.call(fn(bill_xml(number="TWICE-2"), "free"))
    assert co.state.count(co.id, "APBILL") == 3


def test_a_failed_function_inside_a_transaction_rolls_everything_back(co):
    root = co.call(fn(bill_xml(number="TX-1")) + fn(bill_xml(vendor="NOPE", number="TX-2")), transaction=True)
    statuses = [r.findtext("status") for r in results(root)]
    assert statuses == ["aborted", "aborted"]
    assert all(r.find("errormessage/error[errorno='XL03000009']") is not None for r in results(root))
    assert co.state.count(co.id, "APBILL") == 0
    independent = co.call(fn(bill_xml(number="TX-3")) + fn(bill_xml(vendor="NOPE", number="TX-4")))
    assert [r.findtext("status") for r in results(independent)] == ["success", "failure"]
    assert co.state.count(co.id, "APBILL") == 1


def test_query_paging_and_read_by_query_with_read_more(co):
    co.call("".join(fn(bill_xml(number=f"PG-{n}")) for n in range(7)))
    page = results(co.call(fn("<query><object>APBILL</object><select><field>RECORDID</field></select>"
                              "<orderby><order><field>RECORDID</field><descending/></order></orderby>"
                              "<pagesize>3</pagesize><offset>3</offset></query>")))[0].find("data")
    assert (page.get("totalcount"), page.get("offset"), page.get("count"), page.get("numremaining")) == \
        ("7", "3", "3", "1")
    assert [b.findtext("RECORDID") for b in page] == ["PG-3", "PG-2", "PG-1"]
    first = results(co.call(fn("<readByQuery><object>APBILL</object><fields>RECORDNO,RECORDID</fields>"
                               "<query>RECORDID LIKE 'PG-%' AND TOTALDUE &gt; 0</query><pagesize>4</pagesize>"
                               "</readByQuery>")))[0].find("data")
    assert first.get("listtype") == "apbill" and first.get("numremaining") == "3" and first.get("resultId")
    more = results(co.call(fn(f"<readMore><resultId>{first.get('resultId')}</resultId></readMore>")))[0].find("data")
    assert more.get("numremaining") == "0" and more.get("resultId") == "" and len(more) == 3
    seen = [b.findtext("RECORDID") for b in list(first) + list(more)]
    assert sorted(seen) == sorted(f"PG-{n}" for n in range(7))


def test_an_entity_session_sees_its_own_bills_a_top_level_session_sees_all(co):
    co.call(fn(bill_xml(number="US-1")))
    refused = results(co.call(fn(bill_xml(number="EU-1", location="L210"))))[0]
    assert refused.findtext("status") == "failure"  # another entity's location is not visible here
    assert "Location 'L210': 'L210' specified is not valid" in error_of(refused)["description2"]
    eu = results(co.call(fn(bill_xml(vendor="V-EU01", number="EU-1", location="L210", CURRENCY="EUR")),
                         entity="E200"))[0]
    assert eu.findtext("status") == "success", etree.tostring(eu)
    listing = "<query><object>APBILL</object><select><field>RECORDID</field></select></query>"
    assert [b.findtext("RECORDID") for b in results(co.call(fn(listing)))[0].find("data")] == ["US-1"]
    top = [b.findtext("RECORDID") for b in results(co.call(fn(listing), entity=None))[0].find("data")]
    assert sorted(top) == ["EU-1", "US-1"]


def test_payments_lower_the_amount_due_and_mark_the_bill_paid(co):
    recordno = results(co.call(fn(bill_xml(number="PAY-1", amount="300.00"))))[0].findtext("data/apbill/RECORDNO")

    def pay(amount: str) -> etree._Element:
        return results(co.call(fn(
            f"<create><APPYMT><FINANCIALENTITY>BOA-USD</FINANCIALENTITY><PAYMENTMETHOD>EFT</PAYMENTMETHOD>"
            f"<VENDORID>V0001</VENDORID><PAYMENTDATE>11/25/2026</PAYMENTDATE><CURRENCY>USD</CURRENCY>"
            f"<APPYMTDETAILS><APPYMTDETAIL><RECORDKEY>{recordno}</RECORDKEY><TRX_PAYMENTAMOUNT>{amount}"
            f"</TRX_PAYMENTAMOUNT></APPYMTDETAIL></APPYMTDETAILS></APPYMT></create>")))[0]

    def bill() -> etree._Element:
        return results(co.call(fn(f"<read><object>APBILL</object><keys>{recordno}</keys><fields>*</fields></read>"))
                       )[0].find("data/apbill")

    assert pay("100.00").findtext("data/appymt/RECORDNO")
    assert (bill().findtext("STATE"), bill().findtext("TOTALDUE"), bill().findtext("TOTALPAID")) == \
        ("Partially Paid", "200.00", "100.00")
    too_much = pay("250.00")
    assert too_much.findtext("status") == "failure" and "exceeds its amount due" in error_of(too_much)["description2"]
    pay("200.00")
    assert (bill().findtext("STATE"), bill().findtext("TOTALDUE")) == ("Paid", "0.00")
    assert "already paid in full" in error_of(pay("1.00"))["description2"]
    refused = results(co.call(fn(f"<delete><object>APBILL</object><keys>{recordno}</keys></delete>")))[0]
    assert "payments have been applied" in error_of(refused)["description2"]


def test_deletions_are_in_the_audit_trail(co):
    recordno = results(co.call(fn(bill_xml(number="DEL-1"))))[0].findtext("data/apbill/RECORDNO")
    co.call(fn(f"<delete><object>APBILL</object><keys>{recordno}</keys></delete>"))
    audit = results(co.call(fn(
        "<query><object>AUDITHISTORY</object><select><field>OBJECTKEY</field><field>ACCESSMODE</field></select>"
        "<filter><and><equalto><field>OBJECTTYPE</field><value>apbill</value></equalto><equalto><field>ACCESSMODE"
        "</field><value>Deleted</value></equalto></and></filter></query>")))[0].find("data")
    assert [a.findtext("OBJECTKEY") for a in audit] == [recordno]


def test_lookup_inspect_and_dimensions_describe_the_objects(co):
    lookup = results(co.call(fn("<lookup><object>APBILL</object></lookup>")))[0]
    states = lookup.findall("data/Type/Fields/Field[ID='STATE']/VALIDVALUES/VALIDVALUE")
    assert {"Posted", "Partially Paid", "Paid"} <= {s.text for s in states}
    inspect = results(co.call(fn('<inspect detail="1"><object>APPYMT</object></inspect>')))[0]
    assert inspect.find("data/Type/Fields/Field[Name='FINANCIALENTITY']") is not None
    dims = results(co.call(fn("<getDimensions/>")))[0]
    assert dims.find("data/dimensions/dimension[objectName='FUND']/userDefinedDimension").text == "true"


def test_more_than_a_hundred_functions_are_refused(co):
    root = co.call("".join(fn("<getDimensions/>") for _ in range(101)))
    assert root.findtext("control/status") == "failure" and error_of(root)["errorno"] == "XL03000003"


def test_get_is_refused(co):
    assert co.http.get("/ia/xml/xmlgw.phtml").status_code == 405


def test_more_than_two_requests_in_flight_get_gw_0010(co):
    co.state.set_faults(latency_ms=400)
    answers: list[httpx.Response] = []

    def one() -> None:
        answers.append(co.post(co.envelope(fn("<getDimensions/>"))))

    threads = [threading.Thread(target=one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 200, 429]
    refused = next(a for a in answers if a.status_code == 429)
    assert error_of(etree.fromstring(refused.content))["errorno"] == "GW-0010"
    assert "API rate limit exceeded" in refused.text


def test_injected_faults(co):
    co.state.set_faults(throttle_next=1)
    assert co.post(co.envelope(fn("<getDimensions/>"))).status_code == 429
    co.state.set_faults(fail_next={"count": 1, "status": 503})
    assert co.post(co.envelope(fn("<getDimensions/>"))).status_code == 503
    session = co.session()
    co.state.set_faults(invalid_session_next=1)
    refused = co.call(fn("<getDimensions/>"), session=session)
    assert refused.findtext("operation/authentication/status") == "failure"
    assert co.call(fn("<getDimensions/>"), session=session).findtext("operation/authentication/status") == "success"
    co.state.set_faults(expire_sessions=True)
    assert co.call(fn("<getDimensions/>"), session=session).findtext("operation/authentication/status") == "failure"
    co.state.set_faults(timeout_after_commit=1)
    with pytest.raises(httpx.ReadTimeout):
        co.post(co.envelope(fn(bill_xml(number="LOST-1"))))
    assert co.state.count(co.id, "APBILL") == 1  # committed, only the answer was lost


def test_validation_speaks_intacct(co):
    inactive = results(co.call(fn(bill_xml().replace("<ACCOUNTNO>6000", "<ACCOUNTNO>6900"))))[0]
    assert "inactive" in error_of(inactive)["description2"]
    unknown = results(co.call(fn(bill_xml(BOGUS="1"))))[0]
    assert "BOGUS is not a field of APBILL" in error_of(unknown)["description2"]
    bad_date = results(co.call(fn(bill_xml().replace("11/20/2026", "2026-11-20"))))[0]
    assert "mm/dd/yyyy" in error_of(bad_date)["description2"]
    co.state.set_company_settings(co.id, closed_through="2026-11-30")
    closed = results(co.call(fn(bill_xml(number="CL-1"))))[0]
    assert "Date must be on or after 12/01/2026" in error_of(closed)["description2"]
    co.state.set_company_settings(co.id, closed_through=None)
    co.call(fn(bill_xml(number="DUP-1")))
    duplicate = results(co.call(fn(bill_xml(number="DUP-1"))))[0]
    assert "already exists for vendor 'V0001'" in error_of(duplicate)["description2"]


def test_read_by_name_reads_dimension_records_by_their_ids(co):
    found = results(co.call(fn("<readByName><object>VENDOR</object><keys>V0001,V0002,NOPE</keys>"
                               "<fields>VENDORID,NAME</fields></readByName>")))[0].find("data")
    assert found.get("listtype") == "vendor" and found.get("count") == "2"
    assert [v.findtext("VENDORID") for v in found] == ["V0001", "V0002"]


def test_the_control_plane_seeds_resets_and_counts(co):
    seeded = co.http.post("/_sandbox/seed", json={"vendors": 2}).json()
    assert seeded["endpoint_url"] == "http://intacct.sandbox.test/ia/xml/xmlgw.phtml" and seeded["entity_id"] == "E100"
    assert co.http.get("/_sandbox/requests").json()["total_api_calls"] == 0
    co.call(fn("<getDimensions/>"))
    stats = co.http.get("/_sandbox/requests").json()
    assert stats["total_api_calls"] == 1 and stats["by_kind"] == {"POST getDimensions": 1}
    clock = co.http.post("/_sandbox/clock", json={"advance_seconds": 60}).json()
    assert clock["offset_seconds"] == 60
    assert co.http.post("/_sandbox/faults", json={"bogus": 1}).status_code == 400
    assert co.http.post("/_sandbox/reset").json() == {"ok": True, "platform": "intacct"}
    assert co.state.company_ids() == [] and co.state.senders == {}
