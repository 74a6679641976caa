"""Incremental scoring on the DuckDB store.

Two pieces of state make a re-score cheap:
- ``pair_days``: one row per connection and day of contact, rebuilt only for the (connection,
  day) pairs that new imports touched;
- the previous snapshot: a connection with no new touchpoint since is that snapshot rolled
  forward in time (decayed fields times 0.5^(days/half-life), everything else unchanged), which
  equals recomputing it. Only touched connections (and their people) are recomputed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import pyarrow as pa

from ..store.db import Store
from .config import ScaleConfig
from .dimensions import daily, dimensions, rollup
from .engines import EVENTS_VIEW
from .scale import scored
from .warmth import message_warmth

CONNECTION_KEYS = ("account", "platform", "person")
DAY_COLUMNS = ("w_in", "w_out", "n_in", "n_out", "n_dm", "words", "warm", "started_by_them", "first_ts", "last_ts")
RAW_DIMENSIONS = (
    "intensity", "weight_in", "weight_out", "turns", "two_way_days", "touchpoints_in", "touchpoints_out", "dms",
    "words", "warm", "active_days", "regularity", "started_by_them", "first_contact", "last_contact",
)


@dataclass
class Previous:
    as_of: datetime
    watermark: int
    computed_at: datetime


def watermark(store: Store) -> int:
    return store.con.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchone()[0]


def _state(store: Store, name: str) -> int:
    row = store.con.execute("SELECT value FROM scoring_state WHERE name = ?", [name]).fetchone()
    return row[0] if row else 0


def _set_state(store: Store, name: str, value: int) -> None:
    store.con.execute("INSERT OR REPLACE INTO scoring_state VALUES (?, ?)", [name, value])


def refresh_pair_days(store: Store) -> int:
    """Bring ``pair_days`` up to the newest import; returns how many day rows were rebuilt."""
    con = store.con
    current, done = watermark(store), _state(store, "pair_days_watermark")
    dirty = con.execute("SELECT count(*) FROM scoring_dirty").fetchone()[0]
    if current == done and not dirty:
        return 0
    con.execute(EVENTS_VIEW)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE touched_days AS
        SELECT DISTINCT account, platform, person, date_trunc('day', ts AT TIME ZONE 'UTC') AS day
        FROM interactions WHERE import_id > {int(done)} AND ts IS NOT NULL
        UNION SELECT account, platform, person, day FROM scoring_dirty
    """)
    con.execute("""
        DELETE FROM pair_days p USING touched_days t
        WHERE p.account = t.account AND p.platform = t.platform AND p.person = t.person AND p.day = t.day
    """)
    con.execute("""
        CREATE OR REPLACE TEMP VIEW touched_events AS
        SELECT e.* FROM scoring_events e SEMI JOIN touched_days t
            ON e.account = t.account AND e.platform = t.platform AND e.person = t.person
           AND date_trunc('day', e.ts) = t.day
    """ if done else "CREATE OR REPLACE TEMP VIEW touched_events AS SELECT * FROM scoring_events")
    backend = ibis.duckdb.from_connection(con)
    events = backend.table("touched_events")
    events = events.mutate(warm=(events.direction == "in").ifelse(message_warmth(events.text), 0.0))
    days = daily(events, CONNECTION_KEYS, datetime(9999, 1, 1))
    sql = ibis.to_sql(days, dialect="duckdb")
    rebuilt = con.execute(f"""
        INSERT INTO pair_days SELECT account, platform, person, day, {', '.join(DAY_COLUMNS)}, {int(current)}
        FROM ({sql})
    """).fetchone()[0]
    con.execute("DELETE FROM scoring_dirty")
    _set_state(store, "pair_days_watermark", current)
    return rebuilt


def previous_snapshot(store: Store, as_of: datetime, fingerprint: str) -> Previous | None:
    row = store.con.execute(
        """SELECT as_of, watermark, computed_at FROM score_runs
           WHERE as_of < ? AND scale = ? AND as_of = date_trunc('day', as_of)
           ORDER BY as_of DESC, computed_at DESC LIMIT 1""", [as_of, fingerprint]).fetchone()
    return Previous(*row) if row else None


def _ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def _factor(days: float, half_life: float) -> float:
    return 0.5 ** (days / half_life)


def incremental_dimensions(store: Store, as_of: datetime, config: ScaleConfig, fingerprint: str,
                           full: bool = False) -> tuple[pa.Table, pa.Table, str]:
    """Scored connections and people as of midnight ``as_of``; rolls forward what it can."""
    con = store.con
    refresh_pair_days(store)
    prev = None if full else previous_snapshot(store, as_of, fingerprint)
    people_changed = prev is not None and con.execute(
        "SELECT count(*) FROM merges WHERE greatest(created_at, coalesce(undone_at, created_at)) > ?",
        [prev.computed_at]).fetchone()[0] > 0
    backend = ibis.duckdb.from_connection(con)
    con.execute("""
        CREATE OR REPLACE TEMP VIEW pair_days_people AS
        SELECT p.*, i.person_id FROM pair_days p JOIN identities i ON i.platform = p.platform AND i.handle = p.person
    """)
    if prev is None:
        con.execute(f"CREATE OR REPLACE TEMP VIEW recompute_days AS SELECT * FROM pair_days_people "
                    f"WHERE day < {_ts(as_of)}")
        mode = "full"
    else:
        # connections with a rebuilt day since the previous snapshot, or a day after its cut
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE touched_pairs AS
            SELECT DISTINCT account, platform, person FROM pair_days
            WHERE updated_wm > {int(prev.watermark)} OR day >= {_ts(prev.as_of)}""")
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW recompute_days AS
            SELECT d.* FROM pair_days_people d SEMI JOIN touched_pairs t USING (account, platform, person)
            WHERE d.day < {_ts(as_of)}""")
        mode = "incremental"
    days = backend.table("recompute_days")
    fresh_connections = dimensions(days, CONNECTION_KEYS, as_of, config)
    if prev is None or people_changed:
        con.execute(f"CREATE OR REPLACE TEMP VIEW person_days AS SELECT * FROM pair_days_people "
                    f"WHERE day < {_ts(as_of)}")
    else:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE touched_people AS
            SELECT DISTINCT i.person_id FROM touched_pairs t
            JOIN identities i ON i.platform = t.platform AND i.handle = t.person
        """)
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW person_days AS
            SELECT d.* FROM pair_days_people d SEMI JOIN touched_people USING (person_id)
            WHERE d.day < {_ts(as_of)}""")
    person_days = backend.table("person_days")
    fresh_people = dimensions(rollup(person_days, ("person_id",)), ("person_id",), as_of, config)
    if prev is None:
        connections, people = fresh_connections, fresh_people
    else:
        delta = (as_of - prev.as_of).total_seconds() / 86400.0
        rolled = _rolled_sql(delta, config)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE rolled_connections AS
            SELECT account, platform, person, {rolled} FROM connection_scores s
            WHERE s.as_of = ? AND NOT EXISTS (SELECT 1 FROM touched_pairs t WHERE t.account = s.account
                  AND t.platform = s.platform AND t.person = s.person)""", [prev.as_of])
        rolled_connections = backend.table("rolled_connections")
        connections = rolled_connections.union(
            fresh_connections.select(*CONNECTION_KEYS, *RAW_DIMENSIONS).cast(rolled_connections.schema()))
        if people_changed:
            people = fresh_people
        else:
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE rolled_people AS
                SELECT person_id, {rolled} FROM person_scores s
                WHERE s.as_of = ? AND s.person_id NOT IN (SELECT person_id FROM touched_people)
                  AND s.person_id IN (SELECT person_id FROM people WHERE merged_into IS NULL)""", [prev.as_of])
            rolled_people = backend.table("rolled_people")
            people = rolled_people.union(
                fresh_people.select("person_id", *RAW_DIMENSIONS).cast(rolled_people.schema()))
    return (scored(connections, as_of, config).to_pyarrow(), scored(people, as_of, config).to_pyarrow(), mode)


def _rolled_sql(delta_days: float, config: ScaleConfig) -> str:
    short = _factor(delta_days, config.half_life_days)
    long = _factor(delta_days, config.long_half_life_days)
    steady = _factor(delta_days, config.regularity_half_life_days)
    scaled = {"intensity": short, "weight_in": long, "weight_out": long, "turns": long, "regularity": steady}
    return ", ".join(f"{c} * {scaled[c]!r} AS {c}" if c in scaled else c for c in RAW_DIMENSIONS)
