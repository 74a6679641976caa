"""The strongest connections of each account, kept per snapshot so that top-N lists answer at once.

``connection_top`` holds copies of the first ``TOP_PER_ACCOUNT`` rows of ``connection_scores`` per
(as_of, account), ranked as every listing orders them (score, then last contact, then platform and
person). A top-N of one account, or of every account, reads only that small table when it is
complete for the request; otherwise the caller falls back to the snapshot itself.
"""
from __future__ import annotations

from datetime import datetime
import duckdb

TOP_PER_ACCOUNT = 1000
ORDER = "score DESC, last_contact DESC, account, platform, person"


def write_top(con: duckdb.DuckDBPyConnection, as_of: datetime) -> None:
    """(Re)build the top rows of every account for the snapshot at ``as_of``."""
    con.execute("DELETE FROM connection_top WHERE as_of = ?", [as_of])
    con.execute(f"""
        INSERT INTO connection_top BY NAME
        SELECT * EXCLUDE (rn), rn AS account_rank FROM (
            SELECT *, row_number() OVER (PARTITION BY account ORDER BY {ORDER}) AS rn,
                   count(*) OVER (PARTITION BY account) AS account_total
            FROM connection_scores WHERE as_of = ?
            QUALIFY rn <= {TOP_PER_ACCOUNT})
        ORDER BY account, account_rank""", [as_of])


def top_answers(con: duckdb.DuckDBPyConnection, as_of: datetime, account: str | None, limit: int) -> bool:
    """Whether ``connection_top`` holds the first ``limit`` connections (of ``account``, or of all)."""
    if not 0 < limit <= TOP_PER_ACCOUNT:
        return False
    where, params = "as_of = ?", [as_of]
    if account is not None:
        where += " AND account = ?"
        params.append(account)
    has_top, complete = con.execute(f"""
        SELECT (SELECT count(*) > 0 FROM (SELECT 1 FROM connection_top WHERE as_of = ? LIMIT 1)),
               coalesce(bool_and(n >= ? OR total <= {TOP_PER_ACCOUNT}), TRUE)
        FROM (SELECT account, count(*) AS n, max(account_total) AS total FROM connection_top
              WHERE {where} GROUP BY account)""", [as_of, limit, *params]).fetchone()
    return bool(has_top and complete)
