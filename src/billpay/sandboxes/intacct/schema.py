"""The objects the Intacct sandbox knows, with their fields (what ``lookup``/``inspect`` describe).

Field names are Intacct's integration names. ``type`` decides how a value is
parsed from a request, compared in a filter and written back: ``DATE`` is
``mm/dd/yyyy``, ``TIMESTAMP`` is ``MM/DD/YYYY HH:MM:SS`` in the company's
time zone (Intacct timestamps carry no zone), ``DECIMAL`` is exact.
Dotted names (``DISPLAYCONTACT.EMAIL1``) are fields of a nested group.

Writes refuse fields an object does not have, read-only fields, and values
outside an enumeration, as Intacct does.
"""
from __future__ import annotations

from dataclasses import dataclass, field

TEXT, INTEGER, DECIMAL, DATE, TIMESTAMP, BOOLEAN, ENUM = (
    "TEXT", "INTEGER", "DECIMAL", "DATE", "TIMESTAMP", "BOOLEAN", "ENUM")

STATUS_VALUES = ("active", "inactive")
BILL_STATES = ("Draft", "Submitted", "Posted", "Selected", "Partially Paid", "Paid", "Reversed")
PAYMENT_METHODS = ("Printed Check", "Joint Check", "Cash", "EFT", "Credit Card", "ACH", "Check Delivery",
                   "WF Check", "WF Domestic ACH", "WF USD Wire")
ACCESS_MODES = ("Access", "Modified", "Created", "Deleted", "Workflow", "Activity", "User Action", "Login",
                "Platform Def", "Platform Action", "Add Event", "Modify Event", "Delete Event", "Paid Event",
                "Approve Event", "Decline Event")


@dataclass(frozen=True)
class Field:
    name: str
    type: str = TEXT
    label: str = ""
    required: bool = False
    readonly: bool = False
    values: tuple[str, ...] = ()
    max_length: int | None = None
    #: Accepted in create/update but never stored or returned (``ACTION``).
    write_only: bool = False

    @property
    def display(self) -> str:
        return self.label or self.name.replace("_", " ").title()


@dataclass(frozen=True)
class ObjectDef:
    name: str
    label: str
    #: The field ``readByName`` and ``update``/``delete`` by name use (``RECORDNO`` for transactions).
    key: str
    fields: tuple[Field, ...]
    #: Line collections: ``{"APBILLITEMS": "APBILLITEM"}``.
    lines: dict[str, str] = field(default_factory=dict)
    writable: bool = True
    deletable: bool = True
    #: Records belong to an entity (bills, payments) rather than being shared by default.
    per_entity: bool = False

    def field(self, name: str) -> Field | None:
        return _index(self).get(name.upper())

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields if not f.write_only]


_INDEXES: dict[str, dict[str, Field]] = {}


def _index(obj: ObjectDef) -> dict[str, Field]:
    found = _INDEXES.get(obj.name)
    if found is None:
        found = _INDEXES[obj.name] = {f.name.upper(): f for f in obj.fields}
    return found


def _ro(name: str, type_: str = TEXT, label: str = "") -> Field:
    return Field(name, type_, label, readonly=True)


RECORDNO = _ro("RECORDNO", INTEGER, "Record number")
AUDIT = (_ro("WHENCREATED", TIMESTAMP, "When created"), _ro("WHENMODIFIED", TIMESTAMP, "When modified"),
         _ro("CREATEDBY", INTEGER, "Created by"), _ro("MODIFIEDBY", INTEGER, "Modified by"))
ENTITY_FIELDS = (_ro("MEGAENTITYKEY", INTEGER, "Created at - Entity key"),
                 _ro("MEGAENTITYID", TEXT, "Created at - Entity ID"),
                 _ro("MEGAENTITYNAME", TEXT, "Created at - Entity name"))
STATUS = Field("STATUS", ENUM, "Status", values=STATUS_VALUES)
CONTACT = tuple(Field(f"DISPLAYCONTACT.{n}", TEXT, f"Contact {n.lower()}") for n in (
    "CONTACTNAME", "COMPANYNAME", "FIRSTNAME", "LASTNAME", "INITIAL", "PRINTAS", "PHONE1", "PHONE2",
    "EMAIL1", "EMAIL2"))

VENDOR = ObjectDef("VENDOR", "Vendor", "VENDORID", (
    RECORDNO, Field("VENDORID", TEXT, "Vendor ID", max_length=20), Field("NAME", TEXT, "Vendor name",
                                                                        required=True, max_length=100),
    STATUS, _ro("PARENTKEY", INTEGER), Field("PARENTID"), _ro("PARENTNAME"), *CONTACT,
    Field("VENDORACCOUNTNO"), Field("VENDTYPE"), Field("ACCOUNTLABEL"), Field("APACCOUNT"), _ro("APACCOUNTTITLE"),
    Field("TERMNAME", label="Term"), Field("CURRENCY"), Field("ONHOLD", BOOLEAN), Field("TAXID"),
    Field("PAYMETHODKEY"), *AUDIT, *ENTITY_FIELDS))

GLACCOUNT = ObjectDef("GLACCOUNT", "GL account", "ACCOUNTNO", (
    RECORDNO, Field("ACCOUNTNO", TEXT, "Account number", required=True, max_length=24),
    Field("TITLE", TEXT, "Title", required=True, max_length=80),
    Field("ACCOUNTTYPE", ENUM, "Account type", values=("balancesheet", "incomestatement")),
    Field("NORMALBALANCE", ENUM, "Normal balance", values=("debit", "credit")),
    Field("CLOSINGTYPE", ENUM, "Period end closing type", values=("non-closing account", "closing account")),
    Field("CLOSINGACCOUNTNO"), STATUS, Field("CATEGORY"), Field("ALTERNATIVEACCOUNT"),
    Field("REQUIREDEPT", BOOLEAN), Field("REQUIRELOC", BOOLEAN), Field("REQUIRECLASS", BOOLEAN),
    Field("REQUIREPROJECT", BOOLEAN), *AUDIT, *ENTITY_FIELDS))

DEPARTMENT = ObjectDef("DEPARTMENT", "Department", "DEPARTMENTID", (
    RECORDNO, Field("DEPARTMENTID", TEXT, "Department ID", required=True, max_length=20),
    Field("TITLE", TEXT, "Department name", required=True), _ro("PARENTKEY", INTEGER), Field("PARENTID"),
    Field("SUPERVISORNAME"), STATUS, Field("CUSTTITLE"), *AUDIT, *ENTITY_FIELDS))

LOCATION = ObjectDef("LOCATION", "Location", "LOCATIONID", (
    RECORDNO, Field("LOCATIONID", TEXT, "Location ID", required=True, max_length=20),
    Field("NAME", TEXT, "Location name", required=True), Field("PARENTID"), _ro("PARENTKEY", INTEGER), STATUS,
    Field("CURRENCY"), _ro("ENTITY", TEXT, "Entity"), *AUDIT, *ENTITY_FIELDS))

LOCATIONENTITY = ObjectDef("LOCATIONENTITY", "Entity", "LOCATIONID", (
    RECORDNO, _ro("LOCATIONID", TEXT, "Entity ID"), _ro("NAME"), _ro("REPORTPRINTAS"), _ro("CURRENCY"),
    _ro("STATUS"), _ro("FIRSTMONTH"), _ro("WEEKSTART"), _ro("FEDERALID"), _ro("STARTDATE", DATE),
    _ro("ENDDATE", DATE), _ro("TAXID"), _ro("LEGALNAME"), _ro("OPCOUNTRY"), _ro("ADDRESSCOUNTRYDEFAULT"),
    *AUDIT), writable=False, deletable=False)

CLASS = ObjectDef("CLASS", "Class", "CLASSID", (
    RECORDNO, Field("CLASSID", TEXT, "Class ID", required=True, max_length=20),
    Field("NAME", TEXT, "Name", required=True), Field("DESCRIPTION"), STATUS, _ro("PARENTKEY", INTEGER),
    Field("PARENTID"), *AUDIT, *ENTITY_FIELDS, _ro("RECORD_URL")))

PROJECT = ObjectDef("PROJECT", "Project", "PROJECTID", (
    RECORDNO, Field("PROJECTID", TEXT, "Project ID", required=True, max_length=20),
    Field("NAME", TEXT, "Project name", required=True), Field("DESCRIPTION"), Field("CURRENCY"),
    Field("PROJECTCATEGORY", ENUM, values=("Contract", "Capitalized", "Internal Billable",
                                           "Internal Non-billable")),
    Field("PROJECTSTATUS"), _ro("PARENTKEY", INTEGER), Field("PARENTID"), _ro("PARENTNAME"), STATUS,
    _ro("CUSTOMERKEY", INTEGER), Field("CUSTOMERID"), _ro("CUSTOMERNAME"), Field("PROJECTTYPE"),
    _ro("DEPARTMENTNAME"), Field("LOCATIONID"), _ro("LOCATIONNAME"), Field("BUDGETID"), *AUDIT, *ENTITY_FIELDS))

APTERM = ObjectDef("APTERM", "AP term", "NAME", (
    RECORDNO, Field("NAME", TEXT, "Term name", required=True, max_length=40), Field("DESCRIPTION"), STATUS,
    Field("DUEDATE", INTEGER, "Due date (days)"),
    Field("DUEFROM", ENUM, "Due from", values=("from invoice/bill date", "of the month of invoice/bill date",
                                               "of next month from invoice/bill date",
                                               "of 2nd month from invoice/bill date",
                                               "after end of month of invoice/bill date")),
    Field("DISCDATE", INTEGER), Field("DISCFROM"), Field("DISCAMOUNT", DECIMAL), Field("DISCPERCAMN"),
    Field("DISCFUDGEDAYS", INTEGER), *AUDIT))

CHECKINGACCOUNT = ObjectDef("CHECKINGACCOUNT", "Checking account", "BANKACCOUNTID", (
    RECORDNO, Field("BANKACCOUNTID", TEXT, "Bank account ID", required=True, max_length=20),
    Field("BANKACCOUNTNO"), Field("GLACCOUNTNO", required=True), Field("BANKNAME", required=True),
    Field("ROUTINGNO"), Field("BRANCHID"), Field("BANKACCOUNTTYPE"), Field("DEPARTMENTID"), Field("LOCATIONID"),
    STATUS, Field("ACHBANKID"), Field("COMPANYNAME"), Field("CURRENCY"), *AUDIT, *ENTITY_FIELDS))

_BILL_TOTALS = tuple(_ro(n, DECIMAL) for n in (
    "TOTALENTERED", "TOTALSELECTED", "TOTALPAID", "TOTALDUE", "TRX_TOTALENTERED", "TRX_TOTALSELECTED",
    "TRX_TOTALPAID", "TRX_TOTALDUE"))

APBILL = ObjectDef("APBILL", "AP bill", "RECORDNO", (
    RECORDNO, Field("RECORDID", TEXT, "Bill number", max_length=45), _ro("RECORDTYPE"), _ro("RECORD_URL"),
    _ro("STATE", ENUM, "State"), _ro("RAWSTATE"), Field("VENDORID", TEXT, "Vendor ID"), _ro("VENDORNAME"),
    _ro("VENDORKEY", INTEGER), Field("DOCNUMBER", TEXT, "Reference number", max_length=45),
    Field("TERMNAME"), _ro("TERMKEY", INTEGER), Field("WHENCREATED", DATE, "Transaction date"),
    Field("WHENPOSTED", DATE, "GL posting date"), Field("WHENDUE", DATE, "Due date"),
    _ro("WHENPAID", DATE, "Date fully paid"), Field("RECPAYMENTDATE", DATE),
    Field("PAYMENTPRIORITY", ENUM, values=("urgent", "high", "normal", "low")),
    Field("DESCRIPTION", TEXT, "Description", max_length=1000), Field("ONHOLD", BOOLEAN), Field("BASECURR"),
    Field("CURRENCY"), Field("EXCH_RATE_DATE", DATE), Field("EXCH_RATE_TYPE_ID"), Field("EXCHANGE_RATE", DECIMAL),
    *_BILL_TOTALS, _ro("DUE_IN_DAYS", INTEGER), _ro("PRBATCH"), _ro("PRBATCHKEY", INTEGER), _ro("MODULEKEY"),
    Field("SUPDOCID"), _ro("SYSTEMGENERATED", BOOLEAN), _ro("AUWHENCREATED", TIMESTAMP),
    _ro("WHENMODIFIED", TIMESTAMP), _ro("CREATEDBY", INTEGER), _ro("MODIFIEDBY", INTEGER), *ENTITY_FIELDS,
    Field("ACTION", ENUM, values=("Draft", "Submit"), write_only=True)),
    lines={"APBILLITEMS": "APBILLITEM"}, per_entity=True)

APBILLITEM = ObjectDef("APBILLITEM", "AP bill detail", "RECORDNO", (
    RECORDNO, _ro("RECORDKEY", INTEGER, "Bill record number"), Field("LINE_NO", INTEGER),
    Field("ACCOUNTNO", TEXT, "GL account"), Field("ACCOUNTLABEL"), Field("OFFSETGLACCOUNTNO"),
    Field("TRX_AMOUNT", DECIMAL, "Transaction amount"), _ro("AMOUNT", DECIMAL),
    Field("TOTALTRXAMOUNT", DECIMAL), Field("ENTRYDESCRIPTION", TEXT, "Memo", max_length=1000),
    Field("LOCATIONID"), Field("DEPARTMENTID"), Field("CLASSID"), Field("PROJECTID"), Field("TASKID"),
    Field("CUSTOMERID"), Field("VENDORID"), Field("EMPLOYEEID"), Field("ITEMID"), Field("BILLABLE", BOOLEAN),
    _ro("CURRENCY"), _ro("BASECURR"), _ro("WHENMODIFIED", TIMESTAMP)),
    writable=False, deletable=False, per_entity=True)

APPYMT = ObjectDef("APPYMT", "AP payment", "RECORDNO", (
    RECORDNO, Field("FINANCIALENTITY", TEXT, "Bank account"),
    Field("PAYMENTMETHOD", ENUM, "Payment method", values=PAYMENT_METHODS), Field("VENDORID"), _ro("VENDORNAME"),
    Field("PAYMENTDATE", DATE, "Payment date", write_only=True), _ro("WHENCREATED", DATE, "Payment date"),
    _ro("WHENPAID", DATE), Field("CURRENCY"), Field("BASECURR"), Field("DOCNUMBER", TEXT, "Document number",
                                                                      max_length=45),
    Field("DESCRIPTION", max_length=1000), Field("ACTION", ENUM, values=("Draft", "Submit"), write_only=True),
    _ro("STATE"), _ro("RAWSTATE"), Field("AMOUNTTOPAY", DECIMAL), _ro("TOTALENTERED", DECIMAL),
    _ro("TRX_TOTALENTERED", DECIMAL), _ro("TOTALPAID", DECIMAL), _ro("TRX_TOTALPAID", DECIMAL),
    Field("PAYMENTREQUESTMETHOD"), Field("EXCH_RATE_DATE", DATE), Field("EXCH_RATE_TYPE_ID"),
    Field("EXCHANGE_RATE", DECIMAL), _ro("RECORD_URL"), _ro("WHENMODIFIED", TIMESTAMP), *ENTITY_FIELDS),
    lines={"APPYMTDETAILS": "APPYMTDETAIL"}, per_entity=True)

APPYMTDETAIL = ObjectDef("APPYMTDETAIL", "AP payment detail", "RECORDNO", (
    RECORDNO, _ro("PAYMENTKEY", INTEGER), Field("RECORDKEY", INTEGER, "Bill record number"),
    Field("ENTRYKEY", INTEGER), Field("TRX_PAYMENTAMOUNT", DECIMAL), _ro("PAYMENTAMOUNT", DECIMAL),
    Field("DISCOUNTDATE", DATE), _ro("CURRENCY"), _ro("WHENMODIFIED", TIMESTAMP)),
    writable=False, deletable=False, per_entity=True)

AUDITHISTORY = ObjectDef("AUDITHISTORY", "Audit history", "RECORDNO", (
    RECORDNO, _ro("OBJECTTYPE"), _ro("OBJECTKEY"), _ro("OBJECTDESC"), _ro("USERID"),
    _ro("ACCESSTIME", TIMESTAMP), _ro("ACCESSMODE", ENUM), _ro("SOURCE", ENUM), _ro("WORKFLOWACTION"),
    _ro("IPADDRESS")), writable=False, deletable=False)


def user_dimension(name: str, label: str) -> ObjectDef:
    """A user-defined dimension (a custom object enabled as a GL dimension); lines carry ``GLDIM<name>``."""
    return ObjectDef(name, label, "ID", (
        RECORDNO, Field("ID", TEXT, f"{label} ID", required=True, max_length=20),
        Field("NAME", TEXT, "Name", required=True), STATUS, *AUDIT))


STANDARD: dict[str, ObjectDef] = {o.name: o for o in (
    VENDOR, GLACCOUNT, DEPARTMENT, LOCATION, LOCATIONENTITY, CLASS, PROJECT, APTERM, CHECKINGACCOUNT,
    APBILL, APBILLITEM, APPYMT, APPYMTDETAIL, AUDITHISTORY)}

#: Standard dimensions ``getDimensions`` lists, with the line field that carries each.
STANDARD_DIMENSIONS = (("DEPARTMENT", "Department", "DEPARTMENTID"), ("LOCATION", "Location", "LOCATIONID"),
                       ("PROJECT", "Project", "PROJECTID"), ("VENDOR", "Vendor", "VENDORID"),
                       ("CLASS", "Class", "CLASSID"))

#: Objects whose records belong to entities only when created inside one (shared at the top level).
SHARED_BY_DEFAULT = ("VENDOR", "GLACCOUNT", "DEPARTMENT", "CLASS", "PROJECT", "APTERM")
