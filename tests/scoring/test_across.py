"""The scorer's dimensions equal regrouping every day: a connection's from its touchpoints and day marks
(``contact_dimensions``), a person's from their connections' (``across``)."""
from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiescale.scoring.config import DEFAULT
from tiescale.scoring.dimensions import across, contact_dimensions, daily, day_marks, dimensions, rollup

AS_OF = datetime(2025, 6, 1)
SCHEMA = pa.schema([("person_id", pa.int64()), ("connection_id", pa.int64()), ("ts", pa.timestamp("us")),
                    ("direction", pa.string()), ("kind", pa.string()), ("words", pa.int64()), ("warm", pa.float64())])

# few people, connections and days, so that days shared by two connections of a person are common
touch = st.fixed_dictionaries({
    "person_id": st.integers(1, 3),
    "account": st.integers(1, 3),
    "day": st.integers(0, 12),
    "second": st.integers(0, 86_399),
    "direction": st.sampled_from(["in", "out"]),
    "kind": st.sampled_from(["reply", "dm", "like", "mention"]),
    "words": st.integers(0, 20),
    "warm": st.sampled_from([0.0, 0.5, 1.0]),
})


def results(table: ir.Table, key: str = "person_id") -> dict[int, dict]:
    return {row[key]: row for row in table.to_pyarrow().to_pylist()}


def assert_same(got: dict[int, dict], expected: dict[int, dict], rel: float = 1e-12) -> None:
    """The same keys, and per key the same values (floats within ``rel``)."""
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        for field, value in want.items():
            if isinstance(value, float):
                assert got[key][field] == pytest.approx(value, rel=rel, abs=1e-12), (key, field)
            else:
                assert got[key][field] == value, (key, field)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(touch, min_size=1, max_size=40))
def test_contact_dimensions_and_across_equal_a_rollup_of_every_day(touches: list[dict]) -> None:
    rows = [{"person_id": t["person_id"], "connection_id": t["person_id"] * 10 + t["account"],
             "ts": AS_OF - timedelta(days=30 + t["day"], seconds=t["second"]), "direction": t["direction"],
             "kind": t["kind"], "words": t["words"], "warm": t["warm"] if t["direction"] == "in" else 0.0}
            for t in touches]
    con = ibis.duckdb.connect()
    con.con.register("events_arrow", pa.Table.from_pylist(rows, schema=SCHEMA))
    con.con.execute("CREATE TABLE events AS SELECT * FROM events_arrow")
    events = con.table("events")
    keys = ("connection_id", "person_id")
    days = daily(events, keys, AS_OF)
    marks = day_marks(events, keys, AS_OF)
    conn_dims = contact_dimensions(events, marks, keys, AS_OF, DEFAULT)
    assert_same(results(conn_dims, "connection_id"), results(dimensions(days, keys, AS_OF, DEFAULT), "connection_id"))
    expected = results(dimensions(rollup(days, ["person_id"]), ["person_id"], AS_OF, DEFAULT))
    assert_same(results(across(conn_dims, marks, "person_id", AS_OF, DEFAULT)), expected)
    assert_same(results(across(conn_dims, days, "person_id", AS_OF, DEFAULT)), expected)
