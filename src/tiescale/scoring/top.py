"""The strongest connections of each account, kept per snapshot so that top-N lists answer at once.

``connection_top`` holds copies of the first ``TOP_PER_ACCOUNT`` rows of ``connection_scores`` per
account at the newest scored date, ranked as every listing orders them (score, then last contact, then platform and
person). A top-N of one account, or of every account, reads only that small table when it is
complete for the request; otherwise the caller falls back to the snapshot itself.
"""
from __future__ import annotations

from datetime import datetime

import duckdb

TOP_PER_ACCOUNT = 1000
ORDER = "score DESC, last_contact DESC, account, platform, person"


def write_top(con: duckdb.DuckDBPyConnection, as_of: datetime) -> None:
    """(Re)build the top rows of every account for the snapshot at ``as_of`` (the newest date: the
    table holds that one only), with the people's names.

    No sort of the whole snapshot: one pass finds each account's ``TOP_PER_ACCOUNT``-th best score
    (a bounded heap per account), and only the rows at or above it are ranked.
    """
    con.execute("DELETE FROM connection_top")
    con.execute(f"""
        INSERT INTO connection_top BY NAME
        WITH floors AS (
            SELECT account, list_min(max(score, {TOP_PER_ACCOUNT})) AS floor, count(*) AS account_total
            FROM connection_scores WHERE as_of = ? GROUP BY account)
        SELECT t.*, i.person_id, coalesce(i.username, p.label) AS name, i.display_name FROM (
            SELECT * EXCLUDE (rn, connection_id), rn AS account_rank FROM (
                SELECT s.*, f.account_total, row_number() OVER (PARTITION BY s.account ORDER BY {ORDER}) AS rn
                FROM connection_scores s JOIN floors f USING (account)
                WHERE s.as_of = ? AND s.score >= f.floor
                QUALIFY rn <= {TOP_PER_ACCOUNT})) t
        LEFT JOIN identities i ON i.platform = t.platform AND i.handle = t.person
        LEFT JOIN people p ON p.person_id = i.person_id
        ORDER BY t.account, t.account_rank""", [as_of, as_of])


def top_answers(con: duckdb.DuckDBPyConnection, as_of: datetime, account: str | None, limit: int) -> bool:
    """Whether ``connection_top`` holds the first ``limit`` connections (of ``account``, or of all)."""
    if not 0 < limit <= TOP_PER_ACCOUNT:
        return False
    where = "as_of = ?"
    params: list[object] = [as_of]
    if account is not None:
        where += " AND account = ?"
        params.append(account)
    # names and person ids are copied at scoring time: a merge or unmerge since then makes them stale
    scored_at, merged_at, has_top = con.execute("""
        SELECT (SELECT max(computed_at) FROM score_runs WHERE as_of = $as_of),
               (SELECT max(greatest(created_at, coalesce(undone_at, created_at))) FROM merges),
               EXISTS (SELECT 1 FROM connection_top WHERE as_of = $as_of)""",
        {"as_of": as_of}).fetchone() or (None, None, False)
    if scored_at is None or (merged_at is not None and merged_at > scored_at):
        return False
    (complete,) = con.execute(f"""
        SELECT coalesce(bool_and(n >= ? OR total <= {TOP_PER_ACCOUNT}), TRUE)
        FROM (SELECT account, count(*) AS n, max(account_total) AS total FROM connection_top
              WHERE {where} GROUP BY account)""", [limit, *params]).fetchone() or (True,)
    return bool(has_top and complete)
