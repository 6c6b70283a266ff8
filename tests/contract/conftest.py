"""Connector conformance suite: every enrolled harness runs every scenario.

Enrol a platform in one line by adding its harness class to ``HARNESSES``.
"""
from __future__ import annotations

import pytest

from .business_central_harness import BusinessCentralHarness
from .connector_harness import ConnectorHarness
from .intacct_harness import IntacctHarness
from .netsuite_harness import NetSuiteHarness
from .quickbooks_harness import QuickBooksHarness

HARNESSES: list[type[ConnectorHarness]] = [QuickBooksHarness, NetSuiteHarness, IntacctHarness,
                                            BusinessCentralHarness]


@pytest.fixture(params=HARNESSES, ids=lambda cls: cls.platform)
def harness(request) -> ConnectorHarness:
    instance = request.param()
    yield instance
    instance.close()


@pytest.fixture
def connector(harness):
    return harness.connector()
