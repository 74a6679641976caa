"""Validation of the relationship scale on real interaction logs: does the score predict contact?

    python bench/validate_scale.py [--quantile 0.7] [--datasets collegemsg higgs ...] [--bootstrap 200]
                                   [--out bench/out/validation.json] [--data DIR] [--work DIR]

Protocol (identical for every data set, tiescale's one fixed default configuration, no tuning):

1. Each data set in ``DATA/interactions`` (``--data``, default ``$TIESCALE_SHARED_DATA`` or
   ``../shared/data``) is turned into canonical events (``sources/events.py``) with DuckDB.
   Every node of a network data set is an account: a message u -> v is v's inbound touchpoint
   (account v, person u, direction in) and u's outbound one (account u, person v, direction out),
   so each event gives two rows. Self-loops (u -> u) are dropped. Kinds:
   - collegemsg: private messages -> ``dm``;
   - higgs: ``userA userB unixtime type``; RT (A retweeted B) -> ``repost``, MT (A mentioned B)
     -> ``mention``, RE (A replied to B) -> ``reply``;
   - twcs: the customer-support sample; only brands are accounts. A customer's tweet is an
     inbound touchpoint of the brand it addresses (the author of the tweet it answers, else of a
     brand tweet answering it, else the first @handle of a known brand): ``reply`` when it answers
     a tweet, else ``mention``, with its text (texts stay in the store and are never printed).
     A brand's reply is an outbound ``reply`` to the author of the tweet it answers (else to its
     first numeric @handle, an anonymised customer). Brand broadcasts have no person and are
     dropped. One broken CSV record (a line break inside an unquoted text) is repaired;
   - bitcoin-otc, bitcoin-alpha: source rates target -> kind ``rating`` (a generic interaction;
     the rating value is not used: interactions only);
   - copenhagen: SMS -> ``dm``, calls -> ``call`` (missed calls included: a contact attempt).
     Times are seconds since the study start; they are shifted by the fixed offset
     ``COPENHAGEN_EPOCH`` (2013-09-01T00:00:00Z) because tiescale rejects times before 1990.
2. T = the ``--quantile`` (default 0.7; 0.5 is the development split) of the data set's event
   times. The events before T are written as canonical events Parquet and imported with
   ``tiescale.ingest_path`` into a fresh store (rows rejected are reported), then
   ``score_store(store, as_of=T)`` writes ``connection_scores``.
3. Every (account, person) pair with a touchpoint before T is labelled 1 if the two interact, in
   either direction, in [T, T + 30 days).
4. Baselines, plain DuckDB SQL on the same training events (one row = one touchpoint of the pair;
   for network data both rows of an event belong to mirrored pairs, so a pair's count is the
   number of events between the two people):
   - ``count``: touchpoints;
   - ``decay``: sum of 0.5 ** (age / h), h = a tenth of the training span (T - first event);
   - ``recency``: minus the time since the last touchpoint;
   - ``orbit``: Orbit Model love, sum of weight * 0.9 ** (months ago), months = age / 30 days,
     weight 1 for every activity (Orbit's weights are community-defined on a 1-12 scale; its
     published examples -- meetups, pull requests -- have no counterpart in these kinds);
   - ``crowd``: crowd.dev's member score: over the 364 days before T, per 30-day bucket
     m = 0..12 (bucket 12 has 4 days), D_m = mean daily touchpoints over all days of the bucket
     (days without any count as 0) and S_m their sample standard deviation; sum 0.9**m * D_m /
     (1 + S_m).
5. ROC AUC by Mann-Whitney ranks (ties averaged) for tiescale's stored score (one decimal) and
   every baseline, with each method's tie share (the share of positive/negative pairs of pairs
   whose scores are equal, each counted as half a win); per tier, the number of pairs and the
   share that interact in the next 30 days.
6. With ``--bootstrap N``: a 95% interval of tiescale's AUC minus the best baseline's, from N
   resamples of pairs. Resampled by person pair: for network data the mirrored rows (u, v) and
   (v, u) of one pair share their label, so they are drawn together.

Prints the tables and merges the results into ``--out`` (JSON, kept per quantile). Derived files
(the events Parquet, the store) go to ``--work`` (default: a temporary folder, removed at the
end), never into the repository.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from collections.abc import Callable

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tiescale import Store, ingest_path  # noqa: E402
from tiescale.scoring.config import DEFAULT, TIER_NAMES, ScaleConfig  # noqa: E402
from tiescale.scoring.run import scale_fingerprint, score_store  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("TIESCALE_SHARED_DATA", ROOT.parent / "shared" / "data"))
COPENHAGEN_EPOCH = datetime(2013, 9, 1, tzinfo=UTC)
LABEL_DAYS = 30
LONG_LABEL_DAYS = 180
SILENT_DAYS = 60
#: Question (c) splits at the first event + this share of the data's time span (see reactivation_split).
REACTIVATION_SPLIT = 2 / 3
METHODS = ("tiescale", "count", "decay", "recency", "twoway", "orbit", "crowd")
BASELINES = METHODS[1:]
#: The questions, each a label over the training pairs (and which pairs it asks about).
QUESTIONS: dict[str, str] = {
    "a": f"contact in the next {LABEL_DAYS} days",
    "b": f"contact in the next {LONG_LABEL_DAYS} days",
    "c": f"reactivation in the next {LONG_LABEL_DAYS} days among pairs silent {SILENT_DAYS}+ days "
         "(split at two thirds of the data's time span)",
    "d": "Facebook friendship named in the study (Copenhagen only)",
}
#: Data sets of relationships (messages, calls, replies); the Bitcoin trust ratings are not.
RELATIONSHIP_DATASETS = ("collegemsg", "higgs", "twcs", "copenhagen")

#: Canonical events with an event number ``eid`` (both rows of one network event share it).
CANON_COLUMNS = "eid, ts, account, person, direction, kind, platform, id, text"


# -- data sets: raw files -> table ``canon`` ---------------------------------------------------------
def _network(con: duckdb.DuckDBPyConnection, edges_sql: str, platform_name: str) -> dict:
    """``edges_sql`` gives (eid, ts TIMESTAMPTZ, src, dst, kind); each edge becomes two rows."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE edges AS {edges_sql}")
    total, loops = con.execute("SELECT count(*), count(*) FILTER (WHERE src = dst) FROM edges").fetchone()
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE canon AS
        SELECT eid, ts, dst::VARCHAR AS account, src::VARCHAR AS person, 'in' AS direction, kind,
               '{platform_name}' AS platform, eid || ':in' AS id, NULL::VARCHAR AS text
        FROM edges WHERE src <> dst
        UNION ALL
        SELECT eid, ts, src::VARCHAR, dst::VARCHAR, 'out', kind, '{platform_name}', eid || ':out', NULL::VARCHAR
        FROM edges WHERE src <> dst
    """)
    con.execute("DROP TABLE edges")
    return {"raw_events": total, "self_loops_dropped": loops}


def load_collegemsg(con: duckdb.DuckDBPyConnection, data: Path) -> dict:
    path = data / "collegemsg" / "CollegeMsg.txt"
    return _network(con, f"""
        SELECT row_number() OVER () AS eid, to_timestamp(ts) AS ts, src, dst, 'dm' AS kind
        FROM read_csv('{path}', delim = ' ', header = false,
                      columns = {{'src': 'BIGINT', 'dst': 'BIGINT', 'ts': 'BIGINT'}})
    """, "generic")


def load_higgs(con: duckdb.DuckDBPyConnection, data: Path) -> dict:
    path = data / "higgs-twitter" / "higgs-activity_time.txt.gz"
    return _network(con, f"""
        SELECT row_number() OVER () AS eid, to_timestamp(ts) AS ts, a AS src, b AS dst,
               CASE typ WHEN 'RT' THEN 'repost' WHEN 'MT' THEN 'mention' WHEN 'RE' THEN 'reply' END AS kind
        FROM read_csv('{path}', delim = ' ', header = false,
                      columns = {{'a': 'BIGINT', 'b': 'BIGINT', 'ts': 'BIGINT', 'typ': 'VARCHAR'}})
    """, "x")


def _bitcoin(con: duckdb.DuckDBPyConnection, path: Path, header: bool) -> dict:
    return _network(con, f"""
        SELECT row_number() OVER () AS eid, to_timestamp(ts) AS ts, src, dst, 'rating' AS kind
        FROM read_csv('{path}', delim = ',', header = {str(header).lower()},
                      columns = {{'src': 'BIGINT', 'dst': 'BIGINT', 'rating': 'BIGINT', 'ts': 'BIGINT'}})
    """, "generic")


def load_bitcoin_otc(con: duckdb.DuckDBPyConnection, data: Path) -> dict:
    return _bitcoin(con, data / "bitcoin-otc" / "soc-sign-bitcoinotc.csv", header=False)


def load_bitcoin_alpha(con: duckdb.DuckDBPyConnection, data: Path) -> dict:
    return _bitcoin(con, data / "bitcoin-alpha" / "soc-sign-bitcoinalpha.csv", header=True)


def load_copenhagen(con: duckdb.DuckDBPyConnection, data: Path) -> dict:
    folder = data / "copenhagen"
    epoch = COPENHAGEN_EPOCH.timestamp()
    return _network(con, f"""
        SELECT row_number() OVER () AS eid, to_timestamp({epoch} + t) AS ts, src, dst, kind FROM (
            SELECT "timestamp" AS t, "from" AS src, "to" AS dst, 'dm' AS kind
            FROM read_csv('{folder / "sms.csv"}', header = true)
            UNION ALL
            SELECT "timestamp", "from", "to", 'call' FROM read_csv('{folder / "calls.csv"}', header = true)
            ORDER BY 1
        )
    """, "generic")


def read_twcs_records(path: Path) -> tuple[list[str], list[list[str]], int]:
    """The sample's column names and records; a record broken by an unquoted line break is joined back.

    Returns (names, records, how many lines were joined back).
    """
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, records, pending, repaired = rows[0], [], None, 0
    for row in rows[1:]:
        if pending is None:
            pending = row
        else:
            if not row:
                continue
            pending = pending[:-1] + [pending[-1] + " " + row[0]] + row[1:]
            repaired += 1
        if len(pending) >= len(header):
            records.append(pending[: len(header)])
            pending = None
    return ["row"] + header[1:], records, repaired


def _read_twcs_rows(path: Path) -> tuple[pa.Table, int]:
    names, records, repaired = read_twcs_records(path)
    columns = list(zip(*records))
    return pa.table({name: list(col) for name, col in zip(names, columns)}), int(repaired > 0)


def load_twcs(con: duckdb.DuckDBPyConnection, data: Path) -> dict:
    table, repaired = _read_twcs_rows(data / "twcs-customer-support" / "twcs_head_sample_monalisapatra26.csv")
    con.register("twcs_raw", table)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE tweets AS
        SELECT tweet_id::BIGINT AS tweet_id, author_id, inbound = 'True' AS inbound,
               strptime(created_at, '%a %b %d %H:%M:%S %z %Y') AS ts, text,
               try_cast(try_cast(nullif(in_response_to_tweet_id, '') AS DOUBLE) AS BIGINT) AS irt,
               nullif(response_tweet_id, '') AS responses,
               regexp_extract(text, '^\\s*@(\\w+)', 1) AS first_handle,
               regexp_extract(text, '@([0-9]+)\\b', 1) AS first_numeric_handle
        FROM twcs_raw
    """)
    con.unregister("twcs_raw")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE canon AS
        WITH brands AS (SELECT DISTINCT author_id AS brand FROM tweets WHERE NOT inbound),
        answered_by AS (  -- a brand tweet answering a customer tweet
            SELECT c.tweet_id, min(b.author_id) AS brand
            FROM tweets c, unnest(string_split(c.responses, ',')) r(x)
            JOIN tweets b ON b.tweet_id = try_cast(trim(x) AS BIGINT) AND NOT b.inbound
            WHERE c.inbound GROUP BY c.tweet_id
        ),
        customer AS (
            SELECT c.tweet_id AS eid, c.ts, coalesce(CASE WHEN NOT p.inbound THEN p.author_id END, a.brand,
                   (SELECT brand FROM brands WHERE brand = c.first_handle)) AS account,
                   c.author_id AS person, 'in' AS direction,
                   CASE WHEN c.irt IS NULL THEN 'mention' ELSE 'reply' END AS kind, c.text
            FROM tweets c LEFT JOIN tweets p ON p.tweet_id = c.irt LEFT JOIN answered_by a ON a.tweet_id = c.tweet_id
            WHERE c.inbound
        ),
        brand AS (
            SELECT b.tweet_id AS eid, b.ts, b.author_id AS account,
                   coalesce(CASE WHEN p.inbound THEN p.author_id END, nullif(b.first_numeric_handle, '')) AS person,
                   'out' AS direction, 'reply' AS kind, b.text
            FROM tweets b LEFT JOIN tweets p ON p.tweet_id = b.irt
            WHERE NOT b.inbound AND b.irt IS NOT NULL
        )
        SELECT eid, ts, account, person, direction, kind, 'x' AS platform, eid::VARCHAR AS id, text
        FROM (SELECT * FROM customer UNION ALL SELECT * FROM brand)
        WHERE account IS NOT NULL AND person IS NOT NULL AND account <> person
    """)
    total = con.execute("SELECT count(*) FROM tweets").fetchone()[0]
    kept = con.execute("SELECT count(*) FROM canon").fetchone()[0]
    con.execute("DROP TABLE tweets")
    return {"raw_events": total, "tweets_without_brand_or_person_dropped": total - kept, "records_repaired": repaired}


DATASETS: dict[str, Callable[[duckdb.DuckDBPyConnection, Path], dict]] = {
    "collegemsg": load_collegemsg,
    "higgs": load_higgs,
    "twcs": load_twcs,
    "bitcoin-otc": load_bitcoin_otc,
    "bitcoin-alpha": load_bitcoin_alpha,
    "copenhagen": load_copenhagen,
}


# -- metrics -----------------------------------------------------------------------------------------
def auc_sql(table: str, column: str) -> str:
    """ROC AUC (Mann-Whitney, ties get the average rank) and the tie share, for ``column``."""
    return f"""
        WITH ranked AS (
            SELECT label, rank() OVER (ORDER BY {column}) + (count(*) OVER (PARTITION BY {column}) - 1) / 2.0 AS r
            FROM {table}
        ),
        totals AS (
            SELECT count(*) FILTER (WHERE label)::DOUBLE AS p, count(*) FILTER (WHERE NOT label)::DOUBLE AS n
            FROM {table}
        ),
        ties AS (
            SELECT sum(pos * neg)::DOUBLE AS tied FROM (
                SELECT count(*) FILTER (WHERE label) AS pos, count(*) FILTER (WHERE NOT label) AS neg
                FROM {table} GROUP BY {column})
        )
        SELECT (sum(r) FILTER (WHERE label) - any_value(p) * (any_value(p) + 1) / 2) / (any_value(p) * any_value(n)),
               any_value(tied) / (any_value(p) * any_value(n))
        FROM ranked, totals, ties
    """


def auc(con: duckdb.DuckDBPyConnection, table: str, column: str) -> tuple[float | None, float | None]:
    value, ties = con.execute(auc_sql(table, column)).fetchone()
    return value, ties


def bootstrap_delta(con: duckdb.DuckDBPyConnection, table: str, method: str, baseline: str, rounds: int,
                    seed: int = 0) -> dict:
    """AUC(method) - AUC(baseline) over resamples of unordered person pairs: estimate and 95% interval."""
    import numpy as np

    rows = con.execute(f"""
        SELECT label, "{method}" AS a, "{baseline}" AS b,
               dense_rank() OVER (ORDER BY least(account, person), greatest(account, person)) - 1 AS cluster
        FROM {table} WHERE "{method}" IS NOT NULL""").fetchnumpy()
    label = np.asarray(rows["label"], dtype=bool)
    cluster = np.asarray(rows["cluster"], dtype=np.int64)
    prepared = []
    for column in ("a", "b"):
        _, inverse = np.unique(np.asarray(rows[column], dtype=float), return_inverse=True)
        prepared.append((inverse, int(inverse.max()) + 1))

    def weighted_auc(inverse: np.ndarray, levels: int, weight: np.ndarray) -> float:
        pos = np.bincount(inverse[label], weights=weight[label], minlength=levels)
        neg = np.bincount(inverse[~label], weights=weight[~label], minlength=levels)
        below = np.cumsum(neg) - neg
        return float((pos * (below + 0.5 * neg)).sum() / (pos.sum() * neg.sum()))

    rng = np.random.default_rng(seed)
    n_clusters = int(cluster.max()) + 1
    one = np.ones(len(label))
    point = weighted_auc(*prepared[0], one) - weighted_auc(*prepared[1], one)
    deltas = []
    for _ in range(rounds):
        weight = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)[cluster].astype(float)
        if not (weight[label].any() and weight[~label].any()):
            continue
        deltas.append(weighted_auc(*prepared[0], weight) - weighted_auc(*prepared[1], weight))
    d = np.array(deltas)
    return {"baseline": baseline, "delta": point, "lo": float(np.quantile(d, 0.025)),
            "hi": float(np.quantile(d, 0.975)), "share_above_zero": float((d > 0).mean()), "rounds": len(d),
            "clusters": n_clusters}


def baselines_sql(t_epoch: float, half_life: float, train: str = "train") -> str:
    """One row per (account, person) of ``train``: the six baselines."""
    return f"""
        WITH ev AS (SELECT account, person, direction, {t_epoch} - epoch(ts) AS age FROM {train}),
        plain AS (
            SELECT account, person, count(*)::DOUBLE AS count,
                   sum(0.5 ** (age / {half_life})) AS decay,
                   -min(age) AS recency,
                   least(coalesce(sum(0.5 ** (age / {half_life})) FILTER (WHERE direction = 'in'), 0),
                         coalesce(sum(0.5 ** (age / {half_life})) FILTER (WHERE direction = 'out'), 0)) AS twoway,
                   sum(0.9 ** (age / (30 * 86400.0))) AS orbit
            FROM ev GROUP BY account, person
        ),
        daily AS (
            SELECT account, person, floor(age / 86400)::INTEGER AS k, count(*)::DOUBLE AS c
            FROM ev WHERE age < 364 * 86400 GROUP BY ALL
        ),
        buckets AS (
            SELECT account, person, k // 30 AS m, CASE WHEN k // 30 = 12 THEN 4 ELSE 30 END AS days,
                   sum(c) AS s1, sum(c * c) AS s2
            FROM daily GROUP BY ALL
        ),
        crowd AS (
            SELECT account, person,
                   sum(0.9 ** m * (s1 / days) / (1 + sqrt(greatest((s2 - s1 * s1 / days) / (days - 1), 0)))) AS crowd
            FROM buckets GROUP BY account, person
        )
        SELECT p.*, coalesce(c.crowd, 0.0) AS crowd FROM plain p LEFT JOIN crowd c USING (account, person)
    """


def bootstrap_aucs(con: duckdb.DuckDBPyConnection, table: str, rounds: int, seed: int = 0) -> dict:
    """Every method's AUC with a 95% interval, and tiescale minus the best baseline (by point AUC) with
    its interval, over ``rounds`` resamples of unordered person pairs (mirrored rows drawn together)."""
    import numpy as np

    rows = con.execute(f"""
        SELECT label, {', '.join(f'"{m}"' for m in METHODS)},
               dense_rank() OVER (ORDER BY least(account, person), greatest(account, person)) - 1 AS cluster
        FROM {table} WHERE tiescale IS NOT NULL""").fetchnumpy()
    label = np.asarray(rows["label"], dtype=bool)
    if not (label.any() and (~label).any()):
        return {}
    cluster = np.asarray(rows["cluster"], dtype=np.int64)
    prepared = {}
    for method in METHODS:
        _, inverse = np.unique(np.asarray(rows[method], dtype=float), return_inverse=True)
        prepared[method] = (inverse, int(inverse.max()) + 1)

    def weighted_auc(method: str, weight: np.ndarray) -> float:
        inverse, levels = prepared[method]
        pos = np.bincount(inverse[label], weights=weight[label], minlength=levels)
        neg = np.bincount(inverse[~label], weights=weight[~label], minlength=levels)
        below = np.cumsum(neg) - neg
        return float((pos * (below + 0.5 * neg)).sum() / (pos.sum() * neg.sum()))

    one = np.ones(len(label))
    point = {m: weighted_auc(m, one) for m in METHODS}
    best = max(BASELINES, key=lambda m: point[m])
    rng = np.random.default_rng(seed)
    n_clusters = int(cluster.max()) + 1
    samples: dict[str, list[float]] = {m: [] for m in METHODS}
    deltas = []
    for _ in range(rounds):
        weight = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)[cluster].astype(float)
        if not (weight[label].any() and weight[~label].any()):
            continue
        for m in METHODS:
            samples[m].append(weighted_auc(m, weight))
        deltas.append(samples["tiescale"][-1] - samples[best][-1])

    def interval(values: list[float]) -> tuple[float | None, float | None]:
        if not values:
            return None, None
        return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))

    out = {m: dict(zip(("lo", "hi"), interval(samples[m]))) for m in METHODS}
    lo, hi = interval(deltas)
    out["delta"] = {"baseline": best, "delta": point["tiescale"] - point[best], "lo": lo, "hi": hi,
                    "rounds": len(deltas), "clusters": n_clusters}
    return out


def evaluate(con: duckdb.DuckDBPyConnection, table: str, bootstrap: int) -> dict:
    """AUC and tie share of every method on ``table`` (columns ``label`` and the methods), the best
    baseline, tiescale minus it, and with ``bootstrap`` rounds the 95% intervals."""
    n, pos = con.execute(f"SELECT count(*), count(*) FILTER (WHERE label) FROM {table}").fetchone()
    out: dict = {"pairs": n, "positives": pos, "positive_share": pos / n if n else None, "methods": {}}
    if not 0 < pos < n:
        return out
    for method in METHODS:
        value, ties = auc(con, table, method)
        out["methods"][method] = {"auc": value, "ties": ties}
    best = max(BASELINES, key=lambda m: out["methods"][m]["auc"])
    out["best_baseline"] = best
    out["tiescale_minus_best"] = out["methods"]["tiescale"]["auc"] - out["methods"][best]["auc"]
    if bootstrap:
        intervals = bootstrap_aucs(con, table, bootstrap)
        for method in METHODS:
            out["methods"][method].update(intervals.get(method, {}))
        out["tiescale_minus_best_bootstrap"] = intervals.get("delta")
    return out


def load_friends(con: duckdb.DuckDBPyConnection, name: str, data: Path) -> bool:
    """Table ``friends`` (a, b as text, both orders) for question (d); False when the data set has none."""
    if name != "copenhagen":
        return False
    path = data / "copenhagen" / "fb_friends.csv"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE friends AS
                    SELECT user_a::VARCHAR AS a, user_b::VARCHAR AS b FROM read_csv('{path}', header = true)
                    UNION SELECT user_b::VARCHAR, user_a::VARCHAR FROM read_csv('{path}', header = true)""")
    return True


def reactivation_split(con: duckdb.DuckDBPyConnection, folder: Path, first_epoch: float, end_epoch: float,
                       config: ScaleConfig) -> tuple[str, float] | None:
    """Question (c) at its own split: T_c = the first event + ``REACTIVATION_SPLIT`` of the data's time
    span, so pairs can have been silent 60+ days before it (the quantile split of a data set whose
    events crowd its first weeks leaves none). The same import and scoring into a second store;
    returns the pairs table (``pairs_c``: label_long and silent as in ``pairs``) and T_c."""
    t_epoch = round(first_epoch + REACTIVATION_SPLIT * (end_epoch - first_epoch), 6)
    if t_epoch - first_epoch < SILENT_DAYS * 86400:
        return None
    con.execute(f"CREATE OR REPLACE TEMP TABLE train_c AS SELECT * FROM canon WHERE epoch(ts) < {t_epoch}")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE future_c AS SELECT DISTINCT account, person FROM canon
                    WHERE epoch(ts) >= {t_epoch} AND epoch(ts) < {t_epoch + LONG_LABEL_DAYS * 86400}""")
    events_file, store_file = folder / "events_c.parquet", folder / "store_c.duckdb"
    con.execute(f"""COPY (SELECT ts, account, person, direction, kind, platform, id, text FROM train_c ORDER BY ts)
                    TO '{events_file}' (FORMAT parquet)""")
    with Store(store_file) as store:
        ingest_path(store, events_file)
        score_store(store, as_of=datetime.fromtimestamp(t_epoch, tz=UTC).replace(tzinfo=None), config=config)
    train_first = con.execute("SELECT min(epoch(ts)) FROM train_c").fetchone()[0]
    con.execute(f"ATTACH '{store_file}' AS sc (READ_ONLY)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pairs_c AS
        SELECT b.*, cs.score AS tiescale, (f.account IS NOT NULL) AS label_long,
               -b.recency >= {SILENT_DAYS * 86400} AS silent
        FROM ({baselines_sql(t_epoch, (t_epoch - train_first) / 10.0, "train_c")}) b
        LEFT JOIN sc.connection_scores cs ON cs.account = b.account AND cs.person = b.person
        LEFT JOIN future_c f ON f.account = b.account AND f.person = b.person
    """)
    con.execute("DETACH sc")
    con.execute(f"COPY pairs_c TO '{folder / 'pairs_c.parquet'}' (FORMAT parquet)")  # kept with --work
    return "pairs_c", t_epoch


# -- one data set ------------------------------------------------------------------------------------
def run_dataset(name: str, data: Path, work: Path, quantile: float, log: Callable[[str], None],
                config: ScaleConfig = DEFAULT, bootstrap: int = 0) -> dict:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    info = DATASETS[name](con, data)
    timings["load"] = time.perf_counter() - started

    events, rows, first, last = con.execute(
        "SELECT count(DISTINCT eid), count(*), min(ts), max(ts) FROM canon").fetchone()
    t_epoch, end_epoch = con.execute(
        f"SELECT quantile_cont(epoch(ts), {quantile}), max(epoch(ts)) FROM (SELECT DISTINCT eid, ts FROM canon)"
    ).fetchone()
    t_epoch = round(t_epoch, 6)
    as_of = datetime.fromtimestamp(t_epoch, tz=UTC).replace(tzinfo=None)  # naive UTC, as the store
    con.execute(f"CREATE TEMP TABLE train AS SELECT * FROM canon WHERE epoch(ts) < {t_epoch}")
    for days, table in ((LABEL_DAYS, "future"), (LONG_LABEL_DAYS, "future_long")):
        con.execute(f"""
            CREATE TEMP TABLE {table} AS SELECT DISTINCT account, person FROM canon
            WHERE epoch(ts) >= {t_epoch} AND epoch(ts) < {t_epoch + days * 86400}
        """)
    train_events, train_rows, train_first = con.execute(
        "SELECT count(DISTINCT eid), count(*), min(epoch(ts)) FROM train").fetchone()
    events_file = folder / "events.parquet"
    con.execute(f"""COPY (SELECT ts, account, person, direction, kind, platform, id, text FROM train ORDER BY ts)
                    TO '{events_file}' (FORMAT parquet)""")
    timings["prepare"] = time.perf_counter() - started - sum(timings.values())

    # tiescale's real importer and scoring, into a fresh store.
    store_file = folder / "store.duckdb"
    with Store(store_file) as store:
        summary = ingest_path(store, events_file)
        timings["import"] = time.perf_counter() - started - sum(timings.values())
        run = score_store(store, as_of=as_of, config=config)
        timings["score"] = time.perf_counter() - started - sum(timings.values())
    imported = {
        "status": summary.status, "rows_read": summary.rows_read, "new_interactions": summary.total_new,
        "duplicates": summary.duplicates, "rejected": summary.rejected,
        "reject_reasons": sorted({r.reason for r in summary.rejects})[:10],
        "connections_scored": run.connections,
    }

    # Baselines, labels, scores: one row per training pair.
    half_life = (t_epoch - train_first) / 10.0
    has_friends = load_friends(con, name, data)
    friend = "EXISTS (SELECT 1 FROM friends f WHERE f.a = b.account AND f.b = b.person)" if has_friends else "NULL"
    con.execute(f"ATTACH '{store_file}' AS s (READ_ONLY)")
    con.execute(f"""
        CREATE TEMP TABLE pairs AS
        SELECT b.*, cs.score AS tiescale, cs.tier, (f.account IS NOT NULL) AS label,
               (fl.account IS NOT NULL) AS label_long, -b.recency >= {SILENT_DAYS * 86400} AS silent,
               {friend} AS friend
        FROM ({baselines_sql(t_epoch, half_life)}) b
        LEFT JOIN s.connection_scores cs ON cs.account = b.account AND cs.person = b.person
        LEFT JOIN future f ON f.account = b.account AND f.person = b.person
        LEFT JOIN future_long fl ON fl.account = b.account AND fl.person = b.person
    """)
    con.execute("DETACH s")
    n_pairs, n_pos, unscored = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE label), count(*) FILTER (WHERE tiescale IS NULL) FROM pairs"
    ).fetchone()
    label_of = {"a": ("pairs", "label", "true"), "b": ("pairs", "label_long", "true")}
    first_epoch = con.execute("SELECT min(epoch(ts)) FROM canon").fetchone()[0]
    split_c = reactivation_split(con, folder, first_epoch, end_epoch, config)
    if split_c is not None:
        label_of["c"] = (split_c[0], "label_long", "silent")
    if has_friends:
        label_of["d"] = ("pairs", "friend", "true")
    questions: dict[str, dict] = {}
    for question, (table, column, where) in label_of.items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW asked AS SELECT * EXCLUDE (label), {column} AS label "
                    f"FROM {table} WHERE {where}" if table == "pairs" else
                    f"CREATE OR REPLACE TEMP VIEW asked AS SELECT *, {column} AS label FROM {table} WHERE {where}")
        questions[question] = evaluate(con, "asked", bootstrap)
    # how many days of labels the data holds after the split (a longer window asks what a shorter one does)
    data_days_after = (end_epoch - t_epoch) / 86400
    for question, days in (("a", LABEL_DAYS), ("b", LONG_LABEL_DAYS)):
        questions[question]["label_days"] = round(min(days, data_days_after), 1)
    if split_c is not None:
        questions["c"]["label_days"] = round(min(LONG_LABEL_DAYS, (end_epoch - split_c[1]) / 86400), 1)
        questions["c"]["T"] = datetime.fromtimestamp(split_c[1], tz=UTC).isoformat()
    results = questions["a"]["methods"]
    tiers = {}
    for tier in TIER_NAMES:
        n, pos = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE label) FROM pairs WHERE tier = ?", [tier]).fetchone()
        tiers[tier] = {"pairs": n, "positive_share": pos / n if n else None}
    shares = [v["positive_share"] for v in tiers.values() if v["pairs"]]
    # Kept for analysis when --work is given (the folder is removed otherwise).
    con.execute(f"COPY pairs TO '{folder / 'pairs.parquet'}' (FORMAT parquet)")
    timings["evaluate"] = time.perf_counter() - started - sum(timings.values())
    con.close()
    (folder / "meta.json").write_text(json.dumps({"T": as_of.isoformat(), "t_epoch": t_epoch, "quantile": quantile}))
    out = {
        "dataset": name, **info,
        "events": events, "rows": rows, "first": str(first), "last": str(last),
        "T": as_of.isoformat() + "Z", "train_events": train_events, "train_rows": train_rows,
        "days_of_data_after_T": round(data_days_after, 1),
        "decay_half_life_days": half_life / 86400,
        "import": imported, "pairs": n_pairs, "positives": n_pos,
        "positive_share": n_pos / n_pairs if n_pairs else None,
        "unscored_pairs": unscored, "methods": results, "questions": questions, "tiers": tiers,
        "tiers_rise": all(b >= a for a, b in zip(shares, shares[1:])),
        "seconds": {k: round(v, 2) for k, v in timings.items()} | {"total": round(time.perf_counter() - started, 2)},
    }
    out["best_baseline"] = questions["a"].get("best_baseline")
    out["tiescale_minus_best"] = questions["a"].get("tiescale_minus_best")
    out["tiescale_minus_best_bootstrap"] = questions["a"].get("tiescale_minus_best_bootstrap")
    dropped = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in info.items() if k != "raw_events" and v)
    log(f"  {name}: {events:,} events ({dropped or 'none dropped'}), T={out['T']}, "
        f"{summary.total_new:,} of {train_rows:,} rows imported (rejected {summary.rejected}, "
        f"duplicates {summary.duplicates}), {n_pairs:,} pairs, {n_pos:,} positive, {out['seconds']['total']:.1f}s")
    if unscored:
        log(f"  WARNING {name}: {unscored} training pairs have no tiescale score")
    return out


def code_version() -> dict:
    """Which tiescale was validated: its folder, and the git commit (and uncommitted scoring edits) if any."""
    import subprocess

    import tiescale

    src = Path(tiescale.__file__).resolve().parent
    out: dict = {"tiescale_src": str(src), "commit": None, "scoring_edited": None}
    try:
        out["commit"] = subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"], capture_output=True,
                                       text=True, check=True).stdout.strip()
        out["scoring_edited"] = bool(subprocess.run(
            ["git", "-C", str(src), "status", "--porcelain", "--", "scoring"], capture_output=True, text=True,
            check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    return out


# -- reporting ---------------------------------------------------------------------------------------
def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def summarise(results: list[dict]) -> dict:
    """Per question: the mean AUC of every method over the relationship data sets that answer it, and
    where tiescale falls below the best baseline outside the bootstrap interval; then the mean over
    the questions (each question's mean counts once)."""
    questions: dict[str, dict] = {}
    for q in QUESTIONS:
        valid = [r for r in results if r["dataset"] in RELATIONSHIP_DATASETS
                 and r["questions"].get(q, {}).get("methods")]
        if not valid:
            continue
        mean = {m: sum(r["questions"][q]["methods"][m]["auc"] for r in valid) / len(valid) for m in METHODS}
        below = [r["dataset"] for r in valid if (r["questions"][q].get("tiescale_minus_best_bootstrap") or {})
                 .get("hi") is not None and r["questions"][q]["tiescale_minus_best_bootstrap"]["hi"] < 0]
        questions[q] = {"datasets": [r["dataset"] for r in valid], "mean_auc": mean,
                        "best_mean_baseline": max(BASELINES, key=lambda m: mean[m]),
                        "below_best_outside_interval": below,
                        "wins": sum(r["questions"][q]["tiescale_minus_best"] > 0 for r in valid)}
    overall = {m: sum(v["mean_auc"][m] for v in questions.values()) / len(questions) for m in METHODS} \
        if questions else {}
    a = questions.get("a")
    return {
        "questions": questions, "mean_over_questions": overall,
        "best_baseline_over_questions": max(BASELINES, key=lambda m: overall[m]) if overall else None,
        # the single-question figures earlier runs reported (question a, every data set)
        "mean_auc": a["mean_auc"] if a else {},
    }


def _cell(method: dict | None) -> str:
    return "-" if not method else _f(method["auc"])


def question_table(results: list[dict], q: str) -> list[str]:
    """Question ``q`` as Markdown rows: AUC of every method per data set, tiescale's 95% interval, and
    tiescale minus the best baseline with its interval."""
    lines = [f"| data set | pairs | positive | label days | {' | '.join(METHODS)} | tiescale 95% | "
             "minus best (95%) |", "|---" * (6 + len(METHODS)) + "|"]
    for r in results:
        answer = r["questions"].get(q)
        if not answer:
            continue
        if not answer["methods"]:
            lines.append(f"| {r['dataset']} | {answer['pairs']:,} | {answer['positives']:,} | "
                         f"{answer.get('label_days', '-')} | " + " | ".join("-" for _ in METHODS) + " | - | - |")
            continue
        methods = answer["methods"]
        best = answer["best_baseline"]
        cells = [f"**{_cell(methods[m])}**" if m == best else _cell(methods[m]) for m in METHODS]
        t = methods["tiescale"]
        ci = f"[{_f(t.get('lo'))}, {_f(t.get('hi'))}]" if t.get("lo") is not None else "-"
        d = answer.get("tiescale_minus_best_bootstrap") or {}
        delta = f"{answer['tiescale_minus_best']:+.3f} vs {best}"
        if d.get("lo") is not None:
            delta += f" [{d['lo']:+.3f}, {d['hi']:+.3f}]"
        name = r["dataset"] + ("" if r["dataset"] in RELATIONSHIP_DATASETS else " (not relationships)")
        lines.append(f"| {name} | {answer['pairs']:,} | {answer['positives']:,} | {answer.get('label_days', '-')} | "
                     + " | ".join(cells) + f" | {ci} | {delta} |")
    return lines


def report_markdown(results: list[dict], summary: dict, quantile: float) -> str:
    out = [f"Split at the {quantile} time quantile T of each data set; AUC of each method for each question; "
           "bold: the best baseline; intervals: 95% bootstrap over person pairs.", ""]
    for q, text in QUESTIONS.items():
        rows = question_table(results, q)
        if len(rows) <= 2:
            continue
        out += [f"**({q}) {text}**", "", *rows, ""]
        mean = summary["questions"].get(q)
        if mean:
            out.append(f"Mean over the relationship data sets ({', '.join(mean['datasets'])}): "
                       + ", ".join(f"{m} {_f(mean['mean_auc'][m])}" for m in METHODS) + ".")
            out.append("")
    overall = summary["mean_over_questions"]
    if overall:
        out.append("Mean of the question means: " + ", ".join(f"{m} {_f(overall[m])}" for m in METHODS)
                   + f" (best formula: {summary['best_baseline_over_questions']}).")
    return "\n".join(out)


def print_tables(results: list[dict], summary: dict, quantile: float, label: str = "tiescale") -> None:
    print(f"\n{label}: ROC AUC per question, split at the {quantile} time quantile")
    print(report_markdown(results, summary, quantile))
    print(f"\nPer tier: pairs / share interacting in the next {LABEL_DAYS} days")
    head = f"{'dataset':<14}" + "".join(f"{t:>20}" for t in TIER_NAMES) + f"{'rises':>7}"
    print(head)
    print("-" * len(head))
    for r in results:
        cells = []
        for t in TIER_NAMES:
            v = r["tiers"][t]
            share = "" if v["positive_share"] is None else f"{100 * v['positive_share']:.1f}%"
            cells.append(f"{v['pairs']:>10,} {share:>8} ")
        print(f"{r['dataset']:<14}" + "".join(f"{c:>20}" for c in cells) + f"{'yes' if r['tiers_rise'] else 'NO':>7}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quantile", type=float, default=0.7, help="split time quantile (0.5 = development)")
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "validation.json")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--work", type=Path, default=None, help="keep the derived events and stores here")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N",
                        help="resamples for 95%% intervals of every AUC and of tiescale minus the best baseline")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the tables as Markdown here")
    parser.add_argument("--config", default=None, metavar="JSON",
                        help="experiments only: ScaleConfig fields to override, e.g. '{\"long_half_life_days\": 30}' "
                             "(the reported validation uses the default configuration)")
    args = parser.parse_args(argv)
    config = DEFAULT
    if args.config:
        overrides = json.loads(args.config)
        unknown = set(overrides) - set(ScaleConfig.__dataclass_fields__)
        if unknown:
            parser.error(f"--config: not ScaleConfig fields: {', '.join(sorted(unknown))}")
        if "points" in overrides:
            overrides["points"] = {**DEFAULT.points, **overrides["points"]}
        config = replace(DEFAULT, **overrides)
    fingerprint = scale_fingerprint(config)
    label = "tiescale" if config == DEFAULT else f"tiescale ({fingerprint}, not the default)"
    if not 0 < args.quantile < 1:
        parser.error("--quantile must be between 0 and 1")
    data = args.data / "interactions"
    if not data.is_dir():
        parser.error(f"{data}: no interaction data here (see --data)")
    work = args.work or Path(tempfile.mkdtemp(prefix="tiescale-validation-"))
    started = time.perf_counter()
    print(f"validating the scale (config {fingerprint}{'' if config == DEFAULT else ', NOT the default'}) "
          f"at quantile {args.quantile} on {', '.join(args.datasets)}")
    results = []
    try:
        for name in args.datasets:
            results.append(run_dataset(name, data, work, args.quantile, print, config, args.bootstrap))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    summary = summarise(results)
    print_tables(results, summary, args.quantile, label)
    seconds = time.perf_counter() - started
    print(f"\n{seconds:.0f}s in all")

    report = {}
    if args.out.exists():
        try:
            report = json.loads(args.out.read_text())
        except json.JSONDecodeError:
            report = {}
    key = str(args.quantile) if config == DEFAULT else f"{args.quantile}/{fingerprint}"
    report.setdefault("runs", {})[key] = {
        "quantile": args.quantile, "label_days": LABEL_DAYS, "long_label_days": LONG_LABEL_DAYS,
        "silent_days": SILENT_DAYS, "questions": QUESTIONS, "config_fingerprint": fingerprint,
        "default_config": config == DEFAULT, "config": asdict(config),
        "datasets": {r["dataset"]: r for r in results}, "summary": summary,
        "copenhagen_epoch": COPENHAGEN_EPOCH.isoformat(), "seconds": round(seconds, 1),
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "duckdb": duckdb.__version__, "cpus": os.cpu_count()},
        "code": code_version(),
    }
    if args.markdown:
        args.markdown.write_text(report_markdown(results, summary, args.quantile) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))
    print(f"results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
