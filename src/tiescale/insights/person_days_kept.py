"""Every person's days by tier, kept between refreshes: one more day costs about a day (issue 15).

Person-time (person_time.py) needs each person's tier on every day of the default revenue window,
which takes tens of seconds on a store of a million people. Yet a person's tier on a day is a pure
function of their touchpoints before that day (and the scale), so between two refreshes only two
kinds of people have different runs of days:

- **the people an import touched** (a touchpoint or a follower-list entry in an import newer than the
  kept runs): their runs are computed again, whole, exactly as a full computation does, for them only
  (unless all of it is on the window's last day, which moves none of their days);
- **everyone else**: their runs are the kept ones plus the days from the old end to the new one. Those
  new days come after every touchpoint of theirs, so their tier there is their state at the old end,
  from the score history's composition there, rolled forward to each day and scored: the same
  function a full computation applies, computed for one run per person. A run in the lowest tier goes
  on as it is (silence never raises a score) unless the person talked on the old window's last day,
  and a person who never talked stays "none".

A run that reaches the window's end is kept open (``hi`` NULL) and its start is never trimmed (readers
clip it to the window), so a day writes only the runs it changes.

Anything else that could move a person's past (a merge or unmerge, forget, a new scale, another
threshold, a window that moved backwards or by more than its length, a store whose newest date was
not scored) makes the refresh compute every run again. ``tests/revenue/test_person_days_kept.py``
checks that the kept runs, and the figures from them, equal a full computation after each kind of
change.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, UTC
from typing import Any

from tiescale.scoring.config import TIER_NAMES
from tiescale.scoring.stamp import scale_fingerprint
from tiescale.store.db import Store
from .shadow import is_read_only
from .touch_states import add_touch_cuts

#: Bump when what the kept runs mean changes: kept runs of another version are computed again
VERSION = 2  # 2: a run reaching the window's end is kept open (hi NULL), its start untrimmed
TEMP_TABLES = ("rv_changed", "rv_recompute", "rv_last_day", "rv_seg_changed", "rv_people_changed", "rv_seg_ext",
               "rv_seg_joined", "rv_people_all")


def _ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def _counts(store: Store) -> dict[str, Any]:
    """What must only have grown, by the imports newer than the kept runs, for them to stay valid."""
    row = store.row("""
        SELECT ? AS watermark, (SELECT count(*) FROM interactions) AS interactions,
               (SELECT count(*) FROM follower_snapshots) AS snapshots,
               (SELECT count(*) FROM merges) AS merges, (SELECT max(created_at) FROM merges) AS merged,
               (SELECT max(undone_at) FROM merges) AS undone""", [store.watermark()])
    assert row is not None
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def _kept(store: Store) -> dict[str, Any] | None:
    found = store.scalar("SELECT state FROM revenue_segments_state LIMIT 1")
    return json.loads(found) if found else None


def _usable(store: Store, kept: dict[str, Any] | None, start: datetime, end: datetime,
            meaningful_min: float) -> bool:
    """Whether the kept runs can be carried to [start, end): same version, scale and threshold, a
    window that moved forward by less than its length, and a store that only grew by imports."""
    if kept is None or kept.get("version") != VERSION or kept.get("scale") != scale_fingerprint():
        return False
    if float(kept["meaningful_min"]) != float(meaningful_min):
        return False
    kept_start, kept_end = datetime.fromisoformat(kept["start"]), datetime.fromisoformat(kept["end"])
    if start < kept_start or end < kept_end or start >= kept_end:
        return False
    now, before = _counts(store), kept["counts"]
    if any(now[k] != before[k] for k in ("merges", "merged", "undone")):
        return False
    grown = store.row("""SELECT (SELECT count(*) FROM interactions WHERE import_id > ?) AS interactions,
                                (SELECT count(*) FROM follower_snapshots WHERE import_id > ?) AS snapshots""",
                      [before["watermark"], before["watermark"]])
    assert grown is not None
    return bool(now["interactions"] == before["interactions"] + grown["interactions"]
                and now["snapshots"] == before["snapshots"] + grown["snapshots"])


def _coalesce(store: Store, table: str) -> None:
    """Join a person's adjacent runs of the same tier into one (in place)."""
    store.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        WITH o AS (SELECT *, CASE WHEN lag(hi) OVER w = lo AND lag(grp) OVER w = grp
                                   AND lag(strong) OVER w = strong THEN 0 ELSE 1 END AS brk
                   FROM {table} WINDOW w AS (PARTITION BY person_id ORDER BY lo)),
        g AS (SELECT *, sum(brk) OVER (PARTITION BY person_id ORDER BY lo ROWS UNBOUNDED PRECEDING) AS island FROM o)
        SELECT person_id, min(lo) AS lo, max(hi) AS hi, any_value(grp) AS grp, any_value(strong) AS strong
        FROM g GROUP BY person_id, island""")


def exposure_kept(store: Store, grid: list[datetime], start: datetime, end: datetime, meaningful_min: float,
                  fresh: set[datetime]) -> str:
    """TEMP pt_people, pt_now and pt_seg for the whole store, as person_time's exposure leaves them,
    from the kept runs where they allow it; the new runs are kept. Returns "kept" or "full"."""
    from . import person_time as pt

    prune = pt._prune(meaningful_min)  # noqa: SLF001 - this module is person_time's other half
    if is_read_only(store):  # nothing can be kept: a full computation, in TEMP tables
        pt._exposure(store, grid, start, end, meaningful_min, None, fresh)  # noqa: SLF001
        return "full"
    kept = _kept(store)
    if not _usable(store, kept, start, end, meaningful_min):
        pt._exposure(store, grid, start, end, meaningful_min, None, fresh)  # noqa: SLF001
        _coalesce(store, "pt_seg")
        _keep(store, start, end, meaningful_min, "full")
        return "full"
    assert kept is not None
    kept_end = datetime.fromisoformat(kept["end"])
    watermark = int(kept["counts"]["watermark"])
    con = store.con
    try:
        # the people the imports since touched (a touchpoint, or an entry in a follower list), and
        # the midnight after the first day of what is new about them
        con.execute("""
            CREATE OR REPLACE TEMP TABLE rv_changed AS
            SELECT d.person_id, date_trunc('day', min(n.ts) AT TIME ZONE 'UTC') + INTERVAL 1 DAY AS moved
            FROM identities d
            JOIN (SELECT platform, handle, ts FROM interactions WHERE import_id > ?
                  UNION ALL SELECT platform, person, snapshot_at FROM follower_snapshots WHERE import_id > ?) n
              ON n.platform = d.platform AND n.handle = d.handle
            GROUP BY 1""", [watermark, watermark])
        # a person's tier on a day depends on what came before it: someone known before whose news
        # is all on the window's last day keeps every day of theirs (their first conversation, read
        # again below, may still move); the others' runs are computed again, whole
        con.execute(f"""CREATE OR REPLACE TEMP TABLE rv_recompute AS SELECT person_id FROM rv_changed c
                        WHERE moved < {_ts(end)} OR NOT EXISTS (
                            SELECT 1 FROM revenue_people k WHERE k.person_id = c.person_id)""")
        pt._people(store, None, end, only="rv_changed")  # noqa: SLF001
        con.execute("ALTER TABLE pt_people RENAME TO rv_people_changed")
        con.execute("CREATE OR REPLACE TEMP TABLE pt_people AS SELECT * FROM rv_people_changed "
                    "SEMI JOIN rv_recompute USING (person_id)")
        # 1. the runs of those people, whole, as a full computation gives them
        pt._spans(store, grid, start, end)  # noqa: SLF001
        pt._states(store, None, {g for g in grid if g in fresh})  # noqa: SLF001
        if add_touch_cuts(store, None, grid[0], end):
            pt._spans(store, grid, start, end, touch_cuts=True)  # noqa: SLF001
        pt._segments(store, start, end, meaningful_min, prune)  # noqa: SLF001
        _coalesce(store, "pt_seg")
        con.execute("ALTER TABLE pt_seg RENAME TO rv_seg_changed")
        # 2. everyone else: their kept runs; the days from the old end to the new one
        con.execute("""CREATE OR REPLACE TEMP TABLE pt_people AS
                       SELECT * FROM revenue_people ANTI JOIN rv_changed USING (person_id)
                       UNION ALL SELECT * FROM rv_people_changed ANTI JOIN rv_recompute USING (person_id)""")
        con.execute("CREATE OR REPLACE TEMP TABLE rv_seg_ext (person_id BIGINT, lo TIMESTAMP, hi TIMESTAMP, "
                    "grp VARCHAR, strong BOOLEAN)")
        if end > kept_end:
            _extend(store, kept_end, end, meaningful_min, prune)
        con.execute("INSERT INTO pt_people SELECT * FROM rv_people_changed SEMI JOIN rv_recompute USING (person_id)")
        # 3. the kept runs, changed in place: what the new days changed, the recomputed people's
        _write_changes(store, start, kept_end, end)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_seg AS
                        SELECT person_id, greatest(lo, {_ts(start)}) AS lo, coalesce(hi, {_ts(end)}) AS hi, grp, strong
                        FROM revenue_segments WHERE coalesce(hi, {_ts(end)}) > {_ts(start)}""")
        pt._now(store, end, None, fresh, prune)  # noqa: SLF001
        _keep_state(store, start, end, meaningful_min, "kept")
        return "kept"
    finally:
        for name in TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {name}")


def _extend(store: Store, kept_end: datetime, end: datetime, meaningful_min: float, prune: float | None) -> None:
    """TEMP rv_seg_ext: the runs of [kept_end, end) of the people of TEMP pt_people (kept, not
    recomputed) whose open run may not simply go on.

    Silence never raises a score, so a talking person in the lowest tier (and under the threshold)
    on the old window's last day stays there unless they talked that day (which counts from the
    next); a person who never talked stays "none". The others' new days are scored from their state
    at the old end, the history's composition there (no touchpoint of theirs came since), rolled
    forward and scored day by day where it falls, as a full computation does."""
    from . import person_time as pt

    con = store.con
    # that day's connections first (a small table), then their people
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rv_last_day AS SELECT DISTINCT connection_id AS person_id
                    FROM interactions WHERE ts >= {_ts(kept_end - timedelta(days=1))}::TIMESTAMP AT TIME ZONE 'UTC'
                      AND ts < {_ts(kept_end)}::TIMESTAMP AT TIME ZONE 'UTC'""")
    con.execute("""CREATE OR REPLACE TEMP TABLE rv_last_day AS SELECT DISTINCT d.person_id
                   FROM rv_last_day x JOIN connections c ON c.connection_id = x.person_id
                   JOIN identities d ON d.platform = c.platform AND d.handle = c.person""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_span AS
                    SELECT p.person_id, {_ts(kept_end)} AS c, {_ts(kept_end)} AS lo, {_ts(end)} AS hi FROM pt_people p
                    WHERE p.talk <= {_ts(kept_end)} AND (p.person_id IN (SELECT person_id FROM rv_last_day) OR NOT EXISTS (
                        SELECT 1 FROM revenue_segments k WHERE k.person_id = p.person_id AND k.hi IS NULL
                        AND k.grp = '{TIER_NAMES[0]}' AND NOT k.strong))""")
    con.execute("ALTER TABLE pt_people RENAME TO rv_people_all")
    try:
        con.execute("CREATE TEMP TABLE pt_people AS SELECT * FROM rv_people_all SEMI JOIN pt_span USING (person_id)")
        pt._states(store, None, {kept_end})  # noqa: SLF001
        pt._segments(store, kept_end, end, meaningful_min, prune)  # noqa: SLF001
        _coalesce(store, "pt_seg")
        con.execute("INSERT INTO rv_seg_ext SELECT * FROM pt_seg")
    finally:
        con.execute("DROP TABLE IF EXISTS pt_people")
        con.execute("ALTER TABLE rv_people_all RENAME TO pt_people")


def _write_changes(store: Store, start: datetime, kept_end: datetime, end: datetime) -> None:
    """Bring the kept runs to [start, end): the recomputed people's runs replaced, the closed runs
    that left the window deleted, and each extended person's open run (``hi`` NULL: up to the kept
    end) either left open (the new days go on in its tier), or closed where their new days change
    tier, followed by those days' runs. A run that reaches the window's end is kept open, so a day
    that changes nobody's tier writes almost nothing."""
    s_end, s_kept = _ts(end), _ts(kept_end)
    with store.transaction() as con:
        con.execute("DELETE FROM revenue_segments WHERE person_id IN (SELECT person_id FROM rv_recompute)")
        con.execute(f"DELETE FROM revenue_segments WHERE hi <= {_ts(start)}")
        # the first new run of each extended person, against their open run
        con.execute(f"""CREATE OR REPLACE TEMP TABLE rv_seg_joined AS
                        SELECT e.person_id, e.hi AS first_hi, e.grp = k.grp AND e.strong = k.strong AS same
                        FROM rv_seg_ext e JOIN revenue_segments k ON k.person_id = e.person_id AND k.hi IS NULL
                        WHERE e.lo = {s_kept}""")
        con.execute(f"""UPDATE revenue_segments s SET hi = CASE WHEN j.same THEN j.first_hi ELSE {s_kept} END
                        FROM rv_seg_joined j WHERE s.person_id = j.person_id AND s.hi IS NULL
                        AND NOT (j.same AND j.first_hi = {s_end})""")
        con.execute(f"""INSERT INTO revenue_segments
                        SELECT e.person_id, e.lo, nullif(e.hi, {s_end}), e.grp, e.strong FROM rv_seg_ext e
                        WHERE NOT EXISTS (SELECT 1 FROM rv_seg_joined j WHERE j.person_id = e.person_id AND j.same
                                          AND e.lo = {s_kept})""")
        con.execute(f"""INSERT INTO revenue_segments
                        SELECT person_id, lo, nullif(hi, {s_end}), grp, strong FROM rv_seg_changed""")
        con.execute("DELETE FROM revenue_people WHERE person_id IN (SELECT person_id FROM rv_changed)")
        con.execute("INSERT INTO revenue_people SELECT person_id, known, talk FROM rv_people_changed")


def _keep(store: Store, start: datetime, end: datetime, meaningful_min: float, mode: str) -> None:
    """Keep TEMP pt_seg and pt_people (a full computation's), a run reaching ``end`` kept open."""
    with store.transaction() as con:
        con.execute("DELETE FROM revenue_segments")
        con.execute("DELETE FROM revenue_people")
        con.execute(f"INSERT INTO revenue_segments SELECT person_id, lo, nullif(hi, {_ts(end)}), grp, strong FROM pt_seg")
        con.execute("INSERT INTO revenue_people SELECT person_id, known, talk FROM pt_people")
    _keep_state(store, start, end, meaningful_min, mode)


def _keep_state(store: Store, start: datetime, end: datetime, meaningful_min: float, mode: str) -> None:
    """Name what the kept runs hold (and ``mode``: how they were computed, "kept" or "full"); on a
    store whose newest date is not scored, no state: the next refresh computes every run again."""
    from .snapshots import snapshot_is_fresh

    data_end = store.data_end()
    newest = store.scalar("SELECT max(ts) FROM interactions")
    # the others' new days are read from the history at the old end: it must hold every touchpoint
    # (the newest date scored, and no touchpoint at or after it: the end of the data is not capped at now)
    scored = (data_end is not None and newest is not None and data_end <= end
              and data_end > newest.astimezone(UTC).replace(tzinfo=None) and snapshot_is_fresh(store, data_end))
    state = json.dumps({"version": VERSION, "mode": mode, "scale": scale_fingerprint(),
                        "meaningful_min": float(meaningful_min), "start": start.isoformat(), "end": end.isoformat(),
                        "counts": _counts(store)})
    with store.transaction() as con:
        con.execute("DELETE FROM revenue_segments_state")
        if scored:
            con.execute("INSERT INTO revenue_segments_state VALUES (?)", [state])


def kept_people_current(store: Store) -> bool:
    """Whether ``revenue_people`` holds every person as the store is now (each person's first day and
    the midnight after their first conversation): the refresh kept it, and nothing came since."""
    if not store.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'revenue_segments_state'"):
        return False
    kept = _kept(store)
    return kept is not None and kept.get("version") == VERSION and kept["counts"] == _counts(store)

