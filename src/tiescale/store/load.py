"""The load: one import's staged rows into the store, on keys, so that loading twice changes nothing.

An import stages its records (:mod:`.staging`, or a format's fast path) and this module loads
them: accounts, identities and their people, interactions, posts, follower snapshots and the
follow events they imply. (Joining two people into one is a different thing, the identity
merge: :mod:`.identity`.) Runs inside the caller's transaction; returns what changed, for the
import summary.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from collections.abc import Iterator

import duckdb

from ..text.features import text_features_sql
from .db import Store
from .text_features import refresh_text_features

#: The dedupe key: the platform's id, else a hash of every field (same in all paths).
DEDUPE_KEY_SQL = """coalesce(nullif(item_id, ''), 'h:' || md5(concat_ws(chr(31),
    platform, account, person, direction, kind, coalesce(epoch_us(ts)::VARCHAR, ''),
    coalesce(text, ''), coalesce(in_reply_to, ''), coalesce(thread, ''))))"""


@dataclass
class LoadResult:
    new_interactions: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    new_people: int = 0
    updated_people: int = 0
    new_posts: int = 0
    new_snapshot_rows: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None

    @property
    def total_new(self) -> int:
        return sum(self.new_interactions.values())


def load_stage(store: Store, import_id: int) -> LoadResult:
    """Load the stage into the store (inside the caller's transaction) and say what changed."""
    con = store.con
    result = LoadResult()
    _drop_forgotten(store)
    con.execute(
        "INSERT INTO import_rejects (import_id, file, record, reason) SELECT ?, file, record, reason FROM stage_rejects", [import_id]
    )
    con.execute("INSERT INTO import_skipped (import_id, file, record, reason) SELECT ?, file, record, reason FROM stage_skipped", [import_id])
    con.execute(
        "INSERT INTO import_rejects (import_id, file, record, reason) SELECT ?, file, record, reject_reason FROM stage_interactions "
        "WHERE reject_reason IS NOT NULL", [import_id]
    )
    _load_accounts(con)
    result.new_people, result.updated_people = _load_identities(store)
    _load_interactions(store, import_id, result)
    result.new_posts = _load_posts(store, import_id)
    _load_follows(store, import_id, result)
    return result


def _drop_forgotten(store: Store) -> None:
    """People forgotten on request do not come back with a re-import."""
    if not store.scalar("SELECT count(*) FROM forgotten"):
        return
    con = store.con
    for table, column in (("stage_interactions", "person"), ("stage_follows", "person"), ("stage_people", "handle")):
        con.execute(f"""
            DELETE FROM {table} s USING forgotten f
            WHERE f.platform = s.platform AND f.handle_hash = sha256(s.{column})
        """)


def _load_accounts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        INSERT INTO accounts (platform, handle, display_name, account_id, username)
        SELECT platform, handle, max(display_name), max(account_id), max(username) FROM (
            SELECT platform, handle, display_name, account_id, username FROM stage_accounts
            UNION ALL SELECT DISTINCT platform, account, NULL, NULL, NULL FROM stage_interactions
                WHERE reject_reason IS NULL
            UNION ALL SELECT DISTINCT platform, account, NULL, NULL, NULL FROM stage_posts
            UNION ALL SELECT DISTINCT platform, account, NULL, NULL, NULL FROM stage_follows
        ) s
        WHERE handle IS NOT NULL AND handle <> ''
          AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.platform = s.platform AND a.handle = s.handle)
        GROUP BY platform, handle
    """)
    con.execute("""
        UPDATE accounts SET display_name = coalesce(s.display_name, accounts.display_name),
                            account_id = coalesce(s.account_id, accounts.account_id),
                            username = coalesce(s.username, accounts.username)
        FROM (SELECT platform, handle, max(display_name) display_name, max(account_id) account_id,
                     max(username) username
              FROM stage_accounts GROUP BY ALL) s
        WHERE accounts.platform = s.platform AND accounts.handle = s.handle
    """)


def _load_identities(store: Store) -> tuple[int, int]:
    """New identities each get a new person; known ones get newer names, e-mail, URL."""
    con = store.con
    details = store.scalar(
        "SELECT (SELECT count(person_name) FROM stage_interactions) + (SELECT count(person_name) FROM stage_follows)"
        " + (SELECT count(*) FROM stage_people)"
    )
    if details:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE seen_people AS
            SELECT platform, handle, max(display_name) AS display_name, max(email) AS email, max(url) AS url,
                   max(username) AS username
            FROM (
                SELECT platform, person AS handle, person_name AS display_name, NULL AS email, NULL AS url,
                       NULL AS username
                    FROM stage_interactions WHERE reject_reason IS NULL
                UNION ALL SELECT platform, person, person_name, NULL, NULL, NULL FROM stage_follows
                UNION ALL SELECT platform, handle, display_name, email, url, username FROM stage_people
            ) GROUP BY platform, handle
        """)
        seen = "seen_people"
    else:  # handles only (the events format): one DISTINCT pass, no per-group aggregates
        seen = """(SELECT platform, handle, NULL::VARCHAR AS display_name, NULL::VARCHAR AS email,
                          NULL::VARCHAR AS url, NULL::VARCHAR AS username
                   FROM (SELECT platform, person AS handle FROM stage_interactions WHERE reject_reason IS NULL
                         UNION SELECT platform, person FROM stage_follows))"""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE new_identities AS
        SELECT s.*, nextval('person_seq') AS person_id FROM {seen} s
        WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.platform = s.platform AND i.handle = s.handle)
    """)
    new = int(store.scalar("SELECT count(*) FROM new_identities"))
    if new:
        con.execute("""
            INSERT INTO people (person_id, label, display_name)
            SELECT person_id, coalesce(username, handle), display_name FROM new_identities
        """)
        con.execute("""
            INSERT INTO identities (platform, handle, person_id, display_name, email, url, username)
            SELECT platform, handle, person_id, display_name, email, url, username FROM new_identities
        """)
    # Only names, e-mails and URLs can update a known identity: none staged (the events format
    # has none), nothing to compare.
    updated = 0 if not details else int(store.scalar("""
        SELECT count(*) FROM seen_people s JOIN identities i USING (platform, handle)
        WHERE (s.display_name IS NOT NULL AND s.display_name IS DISTINCT FROM i.display_name)
           OR (s.email IS NOT NULL AND s.email IS DISTINCT FROM i.email)
           OR (s.url IS NOT NULL AND s.url IS DISTINCT FROM i.url)
           OR (s.username IS NOT NULL AND s.username IS DISTINCT FROM i.username)
    """))
    if updated:
        con.execute("""
            UPDATE identities SET display_name = coalesce(s.display_name, identities.display_name),
                                  email = coalesce(s.email, identities.email),
                                  url = coalesce(s.url, identities.url),
                                  username = coalesce(s.username, identities.username)
            FROM seen_people s
            WHERE identities.platform = s.platform AND identities.handle = s.handle
              AND ((s.display_name IS NOT NULL AND s.display_name IS DISTINCT FROM identities.display_name)
                OR (s.email IS NOT NULL AND s.email IS DISTINCT FROM identities.email)
                OR (s.url IS NOT NULL AND s.url IS DISTINCT FROM identities.url)
                OR (s.username IS NOT NULL AND s.username IS DISTINCT FROM identities.username))
        """)
        # A person whose label is still an identity's raw handle takes its newer name and @name.
        con.execute("""
            UPDATE people SET display_name = coalesce(i.display_name, people.display_name),
                              label = coalesce(i.username, people.label)
            FROM identities i
            WHERE i.person_id = people.person_id AND people.label IN (i.handle, i.username)
              AND (people.display_name IS DISTINCT FROM coalesce(i.display_name, people.display_name)
                   OR people.label IS DISTINCT FROM coalesce(i.username, people.label))
        """)
    con.execute("DROP TABLE IF EXISTS seen_people")
    con.execute("DROP TABLE IF EXISTS new_identities")
    return new, updated


#: The columns of ``interactions`` an import writes, in the order its SELECTs list them.
INTERACTION_COLUMNS = ("platform, account, handle, ts, direction, kind, item_id, text, in_reply_to, thread, "
                       "dedupe_key, import_id, words, warmth, connection_id")

#: A 64-bit hash of the key. Grouping it (not the strings) finds the few keys staged more than
#: once; rows sharing a hash are then compared on the real key, so a collision costs time, never
#: a row. The events fast path computes it while staging (``stage_interactions.key_hash``).
KEY_HASH_SQL = f"hash(platform, person, {DEDUPE_KEY_SQL})"


def _load_interactions(store: Store, import_id: int, result: LoadResult) -> None:
    """Insert the staged interactions whose (platform, person, dedupe_key) is new, once each (the
    stage's ``person`` is stored as ``interactions.handle``).

    Repeats inside the import are found on the key hash and all but the first of each key (in
    file order) leave the stage; the insert is then one pass over the stage, with an anti-join
    against the store only when the store already has interactions.
    """
    con = store.con
    stage = store.row(
        "SELECT count(*) AS staged, min(ts) AS first_ts, max(ts) AS last_ts FROM stage_interactions "
        "WHERE reject_reason IS NULL"
    )
    assert stage is not None, "an aggregate without GROUP BY returns one row"
    staged: int = stage["staged"]
    result.first_ts, result.last_ts = stage["first_ts"], stage["last_ts"]
    if not staged:
        return
    # Python parsers' rows come without the key hash (the events fast path computes it while staging).
    con.execute(f"UPDATE stage_interactions SET key_hash = {KEY_HASH_SQL} WHERE key_hash IS NULL AND reject_reason IS NULL")
    with _insertion_order(store, False):  # nothing below depends on the stage's order but rowid
        # Hashes staged more than once: sorting 10M integers is cheaper than a hash table of them.
        con.execute("""
            CREATE OR REPLACE TEMP TABLE stage_repeats AS
            SELECT DISTINCT key_hash FROM (
                SELECT key_hash, lead(key_hash) OVER (ORDER BY key_hash) AS next_hash
                FROM stage_interactions WHERE reject_reason IS NULL)
            WHERE key_hash = next_hash
        """)
        if store.scalar("SELECT count(*) FROM stage_repeats"):
            # Of the rows behind those hashes (few), all but the first of each real key leave the stage.
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE stage_later AS
                SELECT stage_row FROM (
                    SELECT rowid AS stage_row, row_number() OVER (
                               PARTITION BY platform, person, {DEDUPE_KEY_SQL} ORDER BY rowid) AS nth
                    FROM stage_interactions
                    WHERE reject_reason IS NULL AND key_hash IN (SELECT key_hash FROM stage_repeats))
                WHERE nth > 1
            """)
            con.execute("DELETE FROM stage_interactions WHERE rowid IN (SELECT stage_row FROM stage_later)")
            con.execute("DROP TABLE stage_later")
        con.execute("DROP TABLE stage_repeats")
        store_has_rows = store.scalar("SELECT EXISTS (SELECT 1 FROM interactions)")
        if store_has_rows:
            # The stored keys among the staged ones, first: a semi join hashes the (small) stage and
            # streams the store past it, where NOT EXISTS against the store would hash the store
            # (a mark join: ~0.9 s for a day's 14k rows against 10M).
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE stage_known AS
                SELECT i.platform, i.handle, i.dedupe_key FROM interactions i
                SEMI JOIN (SELECT platform, person, {DEDUPE_KEY_SQL} AS dedupe_key FROM stage_interactions
                           WHERE reject_reason IS NULL) s
                ON i.platform = s.platform AND i.handle = s.person AND i.dedupe_key = s.dedupe_key
            """)
        new_only = """AND NOT EXISTS (
                SELECT 1 FROM stage_known i
                WHERE i.platform = f.platform AND i.handle = f.person AND i.dedupe_key = f.dedupe_key)"""
        refresh_text_features(con)
        words, warmth = text_features_sql()
        add_connections(con, "SELECT account, platform, person FROM stage_interactions WHERE reject_reason IS NULL")
        con.execute(f"""
            INSERT INTO interactions ({INTERACTION_COLUMNS})
            SELECT f.platform, f.account, f.person, ts, direction, kind, item_id, text, in_reply_to, thread,
                   dedupe_key, {int(import_id)}, {words}, {warmth}, c.connection_id
            FROM (SELECT platform, account, person, ts, direction, kind, nullif(item_id, '') AS item_id, text,
                         nullif(in_reply_to, '') AS in_reply_to, nullif(thread, '') AS thread,
                         {DEDUPE_KEY_SQL} AS dedupe_key
                  FROM stage_interactions WHERE reject_reason IS NULL) f
            JOIN connections c ON c.account = f.account AND c.platform = f.platform AND c.person = f.person
            WHERE true {new_only if store_has_rows else ""}
        """)
        con.execute("DROP TABLE IF EXISTS stage_known")
    result.new_interactions = {row["kind"]: row["n"] for row in store.rows(
        "SELECT kind, count(*) AS n FROM interactions WHERE import_id = ? GROUP BY kind", [import_id]
    )}
    result.duplicates = staged - result.total_new


def add_connections(con: duckdb.DuckDBPyConnection, rows_sql: str) -> None:
    """Give an id to every (account, platform, person) of ``rows_sql`` that has none yet."""
    con.execute(f"""
        INSERT INTO connections (connection_id, account, platform, person)
        SELECT nextval('connection_seq'), account, platform, person
        FROM (SELECT DISTINCT account, platform, person FROM ({rows_sql}) s
              WHERE NOT EXISTS (SELECT 1 FROM connections c WHERE c.account = s.account
                                AND c.platform = s.platform AND c.person = s.person))""")


@contextmanager
def _insertion_order(store: Store, preserve: bool) -> Iterator[None]:
    """``SET preserve_insertion_order`` for a block, then back to what it was."""
    con = store.con
    before = store.scalar("SELECT current_setting('preserve_insertion_order')")
    if before == preserve:
        yield
        return
    con.execute(f"SET preserve_insertion_order = {str(preserve).lower()}")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {str(before).lower()}")


def _load_posts(store: Store, import_id: int) -> int:
    before = int(store.scalar("SELECT count(*) FROM posts"))
    store.con.execute(f"""
        INSERT INTO posts (platform, account, post_id, ts, kind, text, in_reply_to, thread, url, likes, reposts,
                           replies, import_id)
        SELECT platform, account, post_id, ts, kind, text, nullif(in_reply_to, ''), nullif(thread, ''),
               url, likes, reposts, replies, {int(import_id)}
        FROM (SELECT DISTINCT ON (platform, post_id) * FROM stage_posts ORDER BY seq) s
        WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.platform = s.platform AND p.post_id = s.post_id)
    """)
    return int(store.scalar("SELECT count(*) FROM posts")) - before


def _load_follows(store: Store, import_id: int, result: LoadResult) -> None:
    """Store snapshot rows, then turn successive snapshots into follow / unfollow events."""
    con = store.con
    before = int(store.scalar("SELECT count(*) FROM follower_snapshots"))
    con.execute(f"""
        INSERT INTO follower_snapshots (platform, account, relation, snapshot_at, person, import_id)
        SELECT DISTINCT platform, account, relation, snapshot_at, person, {int(import_id)} FROM stage_follows s
        WHERE NOT EXISTS (
            SELECT 1 FROM follower_snapshots f WHERE f.platform = s.platform AND f.account = s.account
              AND f.relation = s.relation AND f.snapshot_at = s.snapshot_at AND f.person = s.person)
    """)
    result.new_snapshot_rows = int(store.scalar("SELECT count(*) FROM follower_snapshots")) - before
    if not result.new_snapshot_rows:
        return
    # Every chain (platform, account, relation) touched is derived again from all its snapshots,
    # so a snapshot imported out of order still gives the right events.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE derived_follows AS
        WITH chains AS (SELECT DISTINCT platform, account, relation FROM stage_follows),
        snaps AS (
            SELECT f.platform, f.account, f.relation, f.snapshot_at,
                   lag(f.snapshot_at) OVER (PARTITION BY f.platform, f.account, f.relation ORDER BY f.snapshot_at) AS prev_at
            FROM (SELECT DISTINCT platform, account, relation, snapshot_at FROM follower_snapshots) f
            JOIN chains USING (platform, account, relation)
        ),
        members AS (SELECT f.* FROM follower_snapshots f JOIN chains USING (platform, account, relation))
        SELECT s.platform, s.account, cur.person, s.snapshot_at AS ts, s.relation, 'follow' AS kind
        FROM snaps s JOIN members cur ON cur.platform = s.platform AND cur.account = s.account
             AND cur.relation = s.relation AND cur.snapshot_at = s.snapshot_at
        WHERE s.prev_at IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM members p WHERE p.platform = s.platform AND p.account = s.account
              AND p.relation = s.relation AND p.snapshot_at = s.prev_at AND p.person = cur.person)
        UNION ALL
        SELECT s.platform, s.account, prev.person, s.snapshot_at, s.relation, 'unfollow'
        FROM snaps s JOIN members prev ON prev.platform = s.platform AND prev.account = s.account
             AND prev.relation = s.relation AND prev.snapshot_at = s.prev_at
        WHERE s.prev_at IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM members c WHERE c.platform = s.platform AND c.account = s.account
              AND c.relation = s.relation AND c.snapshot_at = s.snapshot_at AND c.person = prev.person)
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE derived_keyed AS
        SELECT platform, account, person, ts, CASE relation WHEN 'follower' THEN 'in' ELSE 'out' END AS direction,
               kind, 'snapshot:' || relation || ':' || kind || ':' || epoch(ts)::BIGINT AS dedupe_key
        FROM derived_follows
    """)
    # Drop derived events that a newly inserted snapshot in between made wrong; their connections'
    # scores are recomputed from their whole history next time (a deletion leaves no newer import).
    # Only the chains staged: an import with one relation (following only) leaves the other's events.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE stale_follows AS
        SELECT i.rowid AS stale_row, i.account, i.platform, i.handle AS person
        FROM interactions i SEMI JOIN (SELECT DISTINCT platform, account, relation FROM stage_follows) c
        ON i.platform = c.platform AND i.account = c.account
           AND split_part(i.dedupe_key, ':', 2) = c.relation
        WHERE i.dedupe_key LIKE 'snapshot:%'
          AND NOT EXISTS (SELECT 1 FROM derived_keyed d WHERE d.platform = i.platform
                          AND d.person = i.handle AND d.dedupe_key = i.dedupe_key)""")
    con.execute("""INSERT INTO scoring_dirty (account, platform, person)
                   SELECT DISTINCT account, platform, person FROM stale_follows""")
    con.execute("DELETE FROM interactions WHERE rowid IN (SELECT stale_row FROM stale_follows)")
    con.execute("DROP TABLE stale_follows")
    add_connections(con, "SELECT account, platform, person FROM derived_keyed")
    con.execute(f"""
        INSERT INTO interactions ({INTERACTION_COLUMNS})
        SELECT d.platform, d.account, d.person, ts, direction, kind, NULL, NULL, NULL, NULL, dedupe_key,
               {int(import_id)}, NULL, NULL, c.connection_id
        FROM derived_keyed d
        JOIN connections c ON c.account = d.account AND c.platform = d.platform AND c.person = d.person
        WHERE NOT EXISTS (
            SELECT 1 FROM interactions i WHERE i.platform = d.platform AND i.handle = d.person
              AND i.dedupe_key = d.dedupe_key)
    """)
    for row in store.rows(
        "SELECT kind, count(*) AS n FROM interactions WHERE import_id = ? AND dedupe_key LIKE 'snapshot:%' "
        "GROUP BY kind",
        [import_id],
    ):
        result.new_interactions[row["kind"]] = result.new_interactions.get(row["kind"], 0) + row["n"]
