"""The conversions parser, alone: no store (importing and matching are tests/revenue/)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from tests.conftest import FIXTURES
from tests.sources._util import parsed
from tiescale.records import Rejected
from tiescale.sources import conversions


def test_the_parser_alone_reads_the_fixture() -> None:
    records = parsed(conversions, FIXTURES / "conversions" / "orders.csv")
    assert Counter(type(r).__name__ for r in records) == {"Conversion": 3, "Rejected": 1}
    # "A-1003,2024-03-04T09:15:00Z,7.25,EUR,,,,SPRING,instagram,spring-launch"
    order = next(r for r in records if isinstance(r, conversions.Conversion) and r.order_id == "A-1003")
    assert (order.value, order.currency, order.coupon) == (7.25, "EUR", "SPRING")
    assert (order.utm_source, order.utm_campaign) == ("instagram", "spring-launch")
    assert order.ts == datetime(2024, 3, 4, 9, 15, tzinfo=timezone.utc)
    assert order.email is None and order.handle is None
    rejected = next(r for r in records if isinstance(r, Rejected))
    assert (rejected.record, rejected.reason) == ("line 5", "unreadable timestamp 'not a time'")
    assert next(r for r in records if isinstance(r, conversions.Conversion) and r.order_id == "A-1002").handle == "bea"
