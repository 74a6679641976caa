"""The scoring SQL compiled once and reused for every date is the SQL of that date (the same text up
to line breaks: the pretty printer wraps lines by the literals' lengths)."""
from __future__ import annotations

from datetime import datetime, timedelta

import ibis
from hypothesis import given, settings, strategies as st

from tiescale.scoring.compiled import compiled_sql
from tiescale.scoring.config import DEFAULT
from tiescale.scoring.dimensions import across, contact_dimensions, daily, day_marks, dimensions
from tiescale.scoring.history import compose, history_table, state
from tiescale.scoring.scale import scored
from tiescale.scoring.warmth import scoring_inputs

EVENTS = ibis.table({"connection_id": "int64", "person_id": "int64", "ts": "timestamp", "direction": "string",
                     "kind": "string", "words": "int64", "warmth": "float64"}, name="score_events")
DAYS = daily(scoring_inputs(EVENTS), ("connection_id", "person_id"), datetime(2025, 1, 1))
MARKS = day_marks(EVENTS, ("connection_id", "person_id"), datetime(2025, 1, 1))

dates = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1))
midnights = st.dates(min_value=datetime(1990, 1, 1).date(), max_value=datetime(2090, 1, 1).date()).map(
    lambda d: datetime(d.year, d.month, d.day))


def direct(expr: ibis.Expr) -> str:
    return tokens(str(ibis.to_sql(expr, dialect="duckdb")))


def tokens(sql: str) -> str:
    return " ".join(sql.split())


@settings(max_examples=10, deadline=None)
@given(as_of=st.one_of(dates, midnights))
def test_one_date_expressions_match_a_direct_compile(as_of: datetime) -> None:
    builds = {
        "daily": lambda as_of: daily(scoring_inputs(EVENTS), ("connection_id",), as_of),
        "dimensions": lambda as_of: dimensions(DAYS, ("connection_id", "person_id"), as_of, DEFAULT),
        "day marks": lambda as_of: day_marks(EVENTS, ("connection_id",), as_of),
        "contact dimensions": lambda as_of: contact_dimensions(scoring_inputs(EVENTS), MARKS, ("connection_id",),
                                                               as_of, DEFAULT),
        "across marks": lambda as_of: across(contact_dimensions(scoring_inputs(EVENTS), MARKS,
                                                                ("connection_id", "person_id"), as_of, DEFAULT),
                                             MARKS, "person_id", as_of, DEFAULT),
        "across": lambda as_of: across(dimensions(DAYS, ("connection_id", "person_id"), as_of, DEFAULT), DAYS,
                                       "person_id", as_of, DEFAULT),
        "compose": lambda as_of: compose(history_table("person"), "person_id", as_of, DEFAULT),
        "scored": lambda as_of: scored(state(history_table("connection"), "connection_id", as_of), as_of, DEFAULT),
    }
    for name, build in builds.items():
        assert tokens(compiled_sql(("test", name), build, as_of=as_of)) == direct(build(as_of)), name


@settings(max_examples=10, deadline=None)
@given(since=midnights, days=st.integers(min_value=0, max_value=400))
def test_two_date_expressions_match_a_direct_compile(since: datetime, days: int) -> None:
    as_of = since + timedelta(days=days)  # equal dates too: each stand-in is replaced on its own

    def build(since: datetime, as_of: datetime) -> ibis.Expr:
        return state(history_table("connection"), "connection_id", since, as_of, DEFAULT)

    assert tokens(compiled_sql(("test", "state"), build, since=since, as_of=as_of)) == direct(build(since, as_of))


def test_aware_dates_are_compiled_directly() -> None:
    from datetime import UTC

    at = datetime(2025, 3, 1, tzinfo=UTC)

    def build(at: datetime) -> ibis.Expr:
        return compose(history_table("person"), "person_id", at, DEFAULT)

    assert tokens(compiled_sql(("test", "aware"), build, at=at)) == direct(build(at))
