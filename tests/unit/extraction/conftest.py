"""The extraction's reference day (plausible dates, two-digit years) is fixed for these tests: the dev set's
documents are from 2014 to 2024, and their reading must not change as the years pass."""
from __future__ import annotations

import datetime as dt

import pytest

from billpay.capture.extraction import dates


@pytest.fixture(autouse=True)
def reference_day(monkeypatch):
    monkeypatch.setattr(dates, "today", lambda: dt.date(2026, 12, 3))
