"""``payment_due.install`` hooks every new session factory, including one made after earlier factories were
garbage-collected. SQLAlchemy's event registry keys a sessionmaker's listeners by the ``id()`` of its Session
subclass and keeps the key after that class is gone, so asking it "is this listener there?" can answer yes for
a new factory at a recycled address: a check of that kind once left a whole container without ``due_at`` (the
tick then never released its payments)."""
from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from billpay.db import tables as t
from billpay.db.engine import make_sessionmaker
from billpay.domain.payments import PaymentStatus
from billpay.services import payment_due


def test_every_new_factory_keeps_due_at_after_earlier_ones_were_collected():
    engine = create_engine("sqlite://", poolclass=StaticPool)
    t.Base.metadata.create_all(engine)
    missing = []
    for i in range(60):  # the recycled address came back within ten factories when this was written
        factory = make_sessionmaker(engine)
        payment_due.install(factory)
        with factory() as s:
            p = t.Payment(id=f"pay_{i}", org_id="org_1", bill_id="bill_1", amount=Decimal("10.00"),
                          currency="USD", status=PaymentStatus.SCHEDULED, pay_date=dt.date(2027, 1, 14))
            s.add(p)
            s.flush()
            if p.due_at is None:
                missing.append(i)
            s.rollback()
        del factory
        gc.collect()
    assert missing == [], f"factories whose flush left due_at empty: {missing}"


def test_installing_twice_on_one_factory_hooks_it_once(monkeypatch):
    calls = []

    def counting(session, context, instances):
        calls.append(session)
        original(session, context, instances)

    original = payment_due._before_flush
    monkeypatch.setattr(payment_due, "_before_flush", counting)
    engine = create_engine("sqlite://", poolclass=StaticPool)
    t.Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine)
    payment_due.install(factory)
    payment_due.install(factory)
    with factory() as s:
        p = t.Payment(id="pay_x", org_id="org_1", bill_id="bill_1", amount=Decimal("10.00"), currency="USD",
                      status=PaymentStatus.SCHEDULED, pay_date=dt.date(2027, 1, 14))
        s.add(p)
        s.flush()
    assert len(calls) == 1 and p.due_at is not None
