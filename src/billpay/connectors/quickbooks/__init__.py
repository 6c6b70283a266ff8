"""QuickBooks Online connector (Accounting API v3).

Files: ``client`` (HTTP, auth, retries), ``wire`` (payload shapes),
``transform`` (pure wire <-> canonical), ``faults`` (fault code -> stable
billpay error), ``payments`` (bill payments), ``connector`` (the
``AccountingConnector``).
"""
from billpay.connectors.quickbooks.connector import QuickBooksConnector

__all__ = ["QuickBooksConnector"]
