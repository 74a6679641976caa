"""Scratch: the scale with changed constants, evaluated like bench/validate_scale.py.

Not part of tiescale. A copy of ``tiescale.scoring`` (dimensions.py, scale.py) whose fixed numbers
are knobs of a :class:`Variant`, run on the stores and pairs that ``validate_scale.py --work DIR``
keeps. ``Variant()`` is the current configuration; :func:`check` verifies that the copy
reproduces the scores tiescale stored, so the comparison stays honest when src/ changes.

    python bench/validate_scale.py --quantile 0.5 --work /tmp/valwork05     # once per split
    python bench/_scale_experiments.py --work /tmp/valwork05 [--variants current suggested]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:  # numpy is imported where it is used
    import numpy as np
import ibis
import ibis.expr.types as ir

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from tiescale.scoring.config import DEFAULT, GENERIC_WEIGHT, KIND_WEIGHTS, TIER_NAMES, TIERS, ScaleConfig  # noqa: E402
from tiescale.text.features import message_warmth  # noqa: E402
from validate_scale import BASELINES, DATASETS, auc_sql  # noqa: E402

DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class Variant:
    """The scale's numbers. Defaults: tiescale's current configuration and formula."""

    name: str = "current"
    config: ScaleConfig = DEFAULT
    kind_weights: tuple[tuple[str, float], ...] = tuple(KIND_WEIGHTS.items())
    generic_weight: float = GENERIC_WEIGHT
    #: gated (tiescale): every point times one freshness factor of the days since the last contact,
    #: 1 within config.grace_days, then a curve of the extra days with scale config.freshness_days.
    #: Not gated (tiescale up to efd948a): points add up, recency is one of them (recency_* below).
    gated: bool = True
    #: hyperbolic: 1 / (1 + x / freshness_days) (tiescale); exp: 0.5 ** (x / freshness_days).
    freshness_curve: str = "hyperbolic"
    #: Not gated only: recency points = points * 0.5 ** (days / h) (exp) or / (1 + days / h) (hyperbolic).
    recency_curve: str = "exp"
    recency_half_life_days: float = 21.0
    duration_full_days: float = 366.0  # duration gives all its points at this many days
    #: decayed: active days decayed by regularity_half_life_days, saturating at regular_days_scale
    #: (tiescale since 2c646d3); weeks: distinct active weeks of the last regular_window_days,
    #: saturating at regular_weeks_scale (tiescale up to f3571f1).
    regularity_mode: str = "decayed"
    regular_window_days: float = 182.0
    regular_weeks_scale: float = 8.0
    mutual_share: float = 0.5  # share of reciprocity points from the mutual weight (rest: turns)
    dms_share: float = 0.5  # share of intimacy points from DMs (rest: words)
    #: Not gated only: duration points fade with silence, by the long half-life.
    duration_fades: bool = False
    notes: str = ""


def variant(name: str, notes: str = "", points: dict[str, float] | None = None, **changes: object) -> Variant:
    """A variant from config field changes (``half_life_days=14``) and Variant knobs."""
    fields = set(ScaleConfig.__dataclass_fields__)
    config_changes = {k: v for k, v in changes.items() if k in fields}
    knob_changes = {k: v for k, v in changes.items() if k not in fields}
    if points is not None:
        config_changes["points"] = {**DEFAULT.points, **points}
    return Variant(name=name, notes=notes, config=replace(DEFAULT, **config_changes), **knob_changes)


# -- the copy of tiescale.scoring (dimensions.py, scale.py) with knobs ---------------------------------
def daily(events: ir.Table, keys: Sequence[str], as_of: datetime, v: Variant) -> ir.Table:
    cut = ibis.literal(as_of, type="timestamp")
    ev = events.filter(events.ts.notnull(), events.ts < cut)
    inbound = ev.direction == "in"
    weight = ev.kind.substitute(dict(v.kind_weights), else_=v.generic_weight).cast("float64")
    text = ev.text.strip()  # words as tiescale counts them: spaces + 1
    words = ((text.length() - text.replace(" ", "").length() + 1) * (text.length() > 0).cast("int64")).fill_null(0)
    ev = ev.mutate(
        day=ev.ts.truncate("D"),
        w_in=inbound.ifelse(weight, 0.0),
        w_out=inbound.ifelse(0.0, weight),
        is_in=inbound.cast("int64"),
        is_out=(~inbound).cast("int64"),
        is_dm=(ev.kind == "dm").cast("int64"),
        words=words.cast("int64"),
        warm=ev.warm.fill_null(0.0).cast("float64"),
    )
    return ev.group_by([*keys, "day"]).aggregate(
        w_in=ev.w_in.sum(), w_out=ev.w_out.sum(), n_in=ev.is_in.sum(), n_out=ev.is_out.sum(),
        n_dm=ev.is_dm.sum(), words=ev.words.sum(), warm=ev.warm.sum(),
        first_ts=ev.ts.min(), last_ts=ev.ts.max(),
    )


def dimensions(days: ir.Table, keys: Sequence[str], as_of: datetime, v: Variant) -> ir.Table:
    c = v.config
    cut = ibis.literal(as_of, type="timestamp")
    age = (cut.epoch_seconds() - days.day.epoch_seconds()).cast("float64") / DAY_SECONDS
    short = ibis.literal(0.5) ** (age / c.half_life_days)
    long = ibis.literal(0.5) ** (age / c.long_half_life_days)
    two_way = ((days.n_in > 0) & (days.n_out > 0)).cast("float64")
    steady = ibis.literal(0.5) ** (age / c.regularity_half_life_days)
    recent_week = (age < v.regular_window_days).ifelse(days.day.truncate("W").epoch_seconds(), ibis.null("int64"))
    return days.group_by(list(keys)).aggregate(
        intensity=((days.w_in + days.w_out) * short).sum(),
        weight_in=(days.w_in * long).sum(),
        weight_out=(days.w_out * long).sum(),
        turns=(two_way * long).sum(),
        dms=days.n_dm.sum(),
        words=days.words.sum(),
        warm=days.warm.sum(),
        regularity=steady.sum(),
        active_weeks=recent_week.nunique(),
        first_contact=days.first_ts.min(),
        last_contact=days.last_ts.max(),
    )


def _saturate(value: ir.NumericValue, scale: float) -> ir.FloatingValue:
    return 1.0 - (-(value.cast("float64") / scale)).exp()


def scored(dims: ir.Table, as_of: datetime, v: Variant) -> ir.Table:
    c = v.config
    p = c.points
    cut = ibis.literal(as_of, type="timestamp")
    days_since = (cut.epoch_seconds() - dims.last_contact.epoch_seconds()).cast("float64") / DAY_SECONDS
    span = dims.last_contact.epoch_seconds() - dims.first_contact.epoch_seconds()
    duration_days = span.cast("float64") / DAY_SECONDS
    mutual = ibis.least(dims.weight_in, dims.weight_out)
    if v.gated:
        silence = (days_since - c.grace_days).clip(lower=0.0)
        if v.freshness_curve == "hyperbolic":
            fresh = 1.0 / (1.0 + silence / c.freshness_days)
        elif v.freshness_curve == "exp":
            fresh = ibis.literal(0.5) ** (silence / c.freshness_days)
        else:
            raise ValueError(v.freshness_curve)
        recency = ibis.literal(1.0)
    else:
        fresh = ibis.literal(1.0)
        if v.recency_curve == "exp":
            recency = ibis.literal(0.5) ** (days_since / v.recency_half_life_days)
        elif v.recency_curve == "hyperbolic":
            recency = 1.0 / (1.0 + days_since / v.recency_half_life_days)
        else:
            raise ValueError(v.recency_curve)
    ms, ds = v.mutual_share, v.dms_share
    fade = (ibis.literal(0.5) ** (days_since / c.long_half_life_days) if v.duration_fades and not v.gated
            else ibis.literal(1.0))
    two_way = ms * _saturate(mutual, c.mutual_scale) + (1 - ms) * _saturate(dims.turns, c.turns_scale)
    both = fresh * (c.one_way_share + (1.0 - c.one_way_share) * two_way)
    dims = dims.mutate(
        pts_intensity=both * p["intensity"] * _saturate(dims.intensity, c.intensity_scale),
        pts_reciprocity=fresh * p["reciprocity"] * two_way,
        pts_recency=fresh * p["recency"] * recency,
        pts_regularity=both * p["regularity"] * (
            _saturate(dims.regularity, c.regular_days_scale) if v.regularity_mode == "decayed"
            else _saturate(dims.active_weeks, v.regular_weeks_scale)),
        pts_duration=both * p["duration"] * fade
        * ((duration_days + 1.0).ln() / ibis.literal(v.duration_full_days + 0.0).ln()).clip(upper=1.0),
        pts_intimacy=both * p["intimacy"] * (ds * _saturate(dims.dms, c.dms_scale)
                                             + (1 - ds) * _saturate(dims.words, c.words_scale)),
        pts_warmth=both * c.warmth_points * _saturate(dims.warm, c.warm_scale),
    )
    total = (dims.pts_intensity + dims.pts_reciprocity + dims.pts_recency + dims.pts_regularity
             + dims.pts_duration + dims.pts_intimacy + dims.pts_warmth)
    dims = dims.mutate(raw=total, score=(total.clip(lower=0.0, upper=10.0) * 10).round(6).floor() / 10.0)
    tier = ibis.cases(*[(dims.score < high, name) for name, _low, high, _ in TIERS], else_=TIERS[-1][0])
    return dims.mutate(tier=tier)


# -- data --------------------------------------------------------------------------------------------
def events_sql() -> str:
    """tiescale's own scoring view, over the attached store ``s``, as table ``ev``."""
    from tiescale.scoring.engines import EVENTS_VIEW

    sql = EVENTS_VIEW.replace("CREATE OR REPLACE TEMP VIEW scoring_events AS", "CREATE TABLE ev AS")
    return sql.replace("FROM touchpoints", "FROM s.touchpoints")


@dataclass
class Dataset:
    name: str
    con: duckdb.DuckDBPyConnection
    backend: object
    as_of: datetime
    days_cache: dict = field(default_factory=dict)


def load(work: Path, name: str) -> Dataset:
    folder = work / name
    meta = json.loads((folder / "meta.json").read_text())
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"ATTACH '{folder / 'store.duckdb'}' AS s (READ_ONLY)")
    con.execute(events_sql())
    con.execute(f"CREATE TABLE pairs AS SELECT * FROM '{folder / 'pairs.parquet'}'")
    con.execute("CREATE TABLE stored AS SELECT account, person, score, tier FROM s.connection_scores")
    con.execute("DETACH s")
    backend = ibis.duckdb.from_connection(con)
    ev = backend.table("ev")
    # as in tiescale.scoring.run.score_expressions
    materialize(con, "ev_warm", ev.mutate(warm=(ev.direction == "in").ifelse(message_warmth(ev.text), 0.0)))
    return Dataset(name, con, backend, datetime.fromisoformat(meta["T"]))


def materialize(con: duckdb.DuckDBPyConnection, name: str, expr: ir.Table) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {name} AS {ibis.to_sql(expr, dialect='duckdb')}")


def score(ds: Dataset, v: Variant) -> None:
    """Scores of ``v`` into table ``scores`` of the data set's connection."""
    key = (v.kind_weights, v.generic_weight)
    keys = ("account", "platform", "person")
    if key not in ds.days_cache:
        table = f"days_{len(ds.days_cache)}"
        materialize(ds.con, table, daily(ds.backend.table("ev_warm"), keys, ds.as_of, v))
        ds.days_cache[key] = table
    days = ds.backend.table(ds.days_cache[key])
    sql = ibis.to_sql(scored(dimensions(days, keys, ds.as_of, v), ds.as_of, v), dialect="duckdb")
    ds.con.execute(f"""
        CREATE OR REPLACE TABLE x AS
        SELECT p.label, s.*, p.count, p.decay, p.recency, p.orbit, p.crowd
        FROM pairs p JOIN ({sql}) s USING (account, person)
    """)


def evaluate(ds: Dataset, v: Variant, columns: Sequence[str] = ("score",)) -> dict:
    score(ds, v)
    out = {}
    for col in columns:
        out[col] = ds.con.execute(auc_sql("x", col)).fetchall()[0][0]
    out["ties"] = ds.con.execute(auc_sql("x", "score")).fetchall()[0][1]
    # Where the one-decimal boundaries fall decides which near-equal pairs tie; on Higgs (3.5 days of
    # data, recency works backwards) that alone moves the AUC by +-0.02. The mean AUC over four
    # shifted roundings, floor(10 * raw + o) for o in 0, .25, .5, .75, is the comparison that is not luck.
    shifted = [ds.con.execute(auc_sql(f"(SELECT label, floor(least(greatest(raw, 0), 10) * 10 + {o}) AS r FROM x)",
                                      "r")).fetchall()[0][0] for o in (0.0, 0.25, 0.5, 0.75)]
    out["offset_mean"] = sum(shifted) / len(shifted)
    by_tier = dict(ds.con.execute("SELECT tier, avg(label::INT) FROM x GROUP BY tier").fetchall())
    ordered = [by_tier[t] for t in TIER_NAMES if t in by_tier]
    out["tiers_rise"] = all(b >= a for a, b in zip(ordered, ordered[1:]))
    out["tiers"] = {t: ds.con.execute("SELECT count(*), avg(label::INT) FROM x WHERE tier = ?", [t]).fetchall()[0]
                    for t in TIER_NAMES}
    return out


def baselines(ds: Dataset) -> dict:
    return {b: ds.con.execute(auc_sql("pairs", b)).fetchall()[0][0] for b in BASELINES}


def check(ds: Dataset) -> int:
    """How many pairs the copy scores differently from tiescale (current configuration)."""
    score(ds, Variant())
    return ds.con.execute("""
        SELECT count(*) FROM x JOIN stored t USING (account, person)
        WHERE abs(x.score - t.score) > 1e-9 OR x.tier <> t.tier
    """).fetchall()[0][0] + ds.con.execute("SELECT (SELECT count(*) FROM stored) - count(*) FROM x").fetchall()[0][0]


# -- the variants tried ------------------------------------------------------------------------------
CURRENT = Variant()
#: tiescale up to efd948a: points add up, recency 1.5 of them, reciprocity over 180 days.
PREVIOUS_POINTS = {"intensity": 3.0, "reciprocity": 2.5, "recency": 1.5, "regularity": 1.5, "duration": 0.75,
                   "intimacy": 0.75}
PREVIOUS = dict(gated=False, long_half_life_days=180.0, recency_half_life_days=21.0, points=PREVIOUS_POINTS,
                one_way_share=1.0)
VARIANTS: dict[str, Variant] = {v.name: v for v in (
    CURRENT,
    variant("previous", notes="the additive scale up to efd948a (recency 1.5 of 10 points, reciprocity over 180 days)",
            **PREVIOUS),
    variant("previous+suggested", notes="previous, with long half-life 30, recency half-life 30, intensity 21",
            **{**PREVIOUS, "long_half_life_days": 30.0, "recency_half_life_days": 30.0, "half_life_days": 21.0}),
    variant("previous+fade", notes="previous+suggested, and duration points fade with silence",
            **{**PREVIOUS, "long_half_life_days": 30.0, "recency_half_life_days": 30.0, "half_life_days": 21.0},
            duration_fades=True),
    variant("exp-freshness", freshness_curve="exp",
            notes="freshness halves every 21 days after the grace period (exponential: the stale tail rounds to 0.0)"),
    variant("fresh14", freshness_days=14.0, notes="freshness scale 14 days instead of 21"),
    variant("fresh30", freshness_days=30.0, notes="freshness scale 30 days instead of 21"),
    variant("grace0", grace_days=0.0, notes="no grace period: freshness falls from the first hour of silence"),
    variant("grace7", grace_days=7.0, notes="a week of silence counts as current"),
    variant("no-two-way-factor", one_way_share=1.0,
            points={"intensity": 2.0, "reciprocity": 2.0, "regularity": 2.0},
            notes="one-way contact gets every point (reciprocity 2 points of its own instead)"),
    variant("two-way-factor-0.6", one_way_share=0.6, notes="one-way contact gets 60% of the strength points"),
    variant("recip-heavy", points={"reciprocity": 2.0, "intensity": 2.0, "regularity": 2.0},
            notes="reciprocity 2 points of its own (intensity and regularity 2)"),
    variant("regularity-heavy", points={"regularity": 3.5, "intensity": 1.5},
            notes="more of the points from many active days"),
    variant("presence2", points={"recency": 2.0, "intensity": 3.0, "regularity": 3.0},
            notes="a fresh contact alone worth 2 points instead of 3"),
)}


def _auc_np(scores: np.ndarray, labels: np.ndarray) -> float:
    import numpy as np

    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - counts + (counts + 1) / 2.0)[inverse]
    p = labels.sum()
    n = len(labels) - p
    return float((ranks[labels].sum() - p * (p + 1) / 2) / (p * n))


def paired_bootstrap(ds: Dataset, v: Variant, reference: Variant = CURRENT, rounds: int = 300, seed: int = 0) -> dict:
    """AUC(v) - AUC(reference) over resamples of pairs (a mirrored network pair counts once)."""
    import numpy as np

    score(ds, reference)
    ds.con.execute("CREATE OR REPLACE TABLE ref AS SELECT account, person, score FROM x")
    score(ds, v)
    rows = ds.con.execute("""
        SELECT any_value(x.label), any_value(x.score), any_value(r.score)
        FROM x JOIN ref r USING (account, person)
        GROUP BY least(account, person), greatest(account, person)
    """).fetchnumpy()
    labels, a, b = (np.asarray(c) for c in rows.values())
    labels = labels.astype(bool)
    rng = np.random.default_rng(seed)
    deltas = []
    for _ in range(rounds):
        i = rng.integers(0, len(labels), len(labels))
        if labels[i].all() or not labels[i].any():
            continue
        deltas.append(_auc_np(a[i], labels[i]) - _auc_np(b[i], labels[i]))
    d = np.array(deltas)
    return {"delta": _auc_np(a, labels) - _auc_np(b, labels), "lo": float(np.quantile(d, 0.025)),
            "hi": float(np.quantile(d, 0.975)), "share_positive": float((d > 0).mean()), "pairs": len(labels)}


def run(work: Path, variants: Sequence[Variant], names: Sequence[str], bootstrap: int = 0,
        verbose: bool = True) -> dict:
    results: dict = {}
    for name in names:
        started = time.perf_counter()
        ds = load(work, name)
        mismatches = check(ds)
        results[name] = {"baselines": baselines(ds), "mismatches": mismatches, "variants": {}, "bootstrap": {}}
        for v in variants:
            results[name]["variants"][v.name] = evaluate(ds, v, ("score", "raw"))
            if bootstrap and v != CURRENT:
                results[name]["bootstrap"][v.name] = paired_bootstrap(ds, v, rounds=bootstrap)
        ds.con.close()
        if verbose:
            print(f"  {name}: {time.perf_counter() - started:.1f}s (copy vs tiescale: {mismatches} scores differ)",
                  file=sys.stderr)
    return results


def print_results(results: dict, variants: Sequence[Variant]) -> None:
    names = list(results)
    width = max(14, max(len(n) for n in names) + 2)
    print(f"{'AUC (delta vs current)':<26}" + "".join(f"{n:>{width}}" for n in names)
          + f"{'mean':>8}{'tiers rise':>12}")
    best = {n: max(results[n]["baselines"].values()) for n in names}
    print(f"{'best baseline':<26}" + "".join(f"{best[n]:>{width}.3f}" for n in names)
          + f"{sum(best.values()) / len(names):>8.3f}")
    for v in variants:
        cells, aucs = [], []
        for n in names:
            a = results[n]["variants"][v.name]["score"]
            d = a - results[n]["variants"]["current"]["score"] if "current" in results[n]["variants"] else 0.0
            aucs.append(a)
            cells.append(f"{a:.3f} ({d:+.3f})")
        rise = sum(results[n]["variants"][v.name]["tiers_rise"] for n in names)
        print(f"{v.name:<26}" + "".join(f"{c:>{width}}" for c in cells)
              + f"{sum(aucs) / len(aucs):>8.3f}{f'{rise}/{len(names)}':>12}")
    print(f"\n{'AUC, mean of 4 roundings':<26}" + "".join(f"{n:>{width}}" for n in names) + f"{'mean':>8}")
    for v in variants:
        aucs = [results[n]["variants"][v.name]["offset_mean"] for n in names]
        print(f"{v.name:<26}" + "".join(f"{a - best[n]:>+{width}.3f}" for a, n in zip(aucs, names))
              + f"{sum(a - best[n] for a, n in zip(aucs, names)) / len(names):>+8.3f}")
    print("(minus the best baseline; rounding boundaries shifted by 0, .025, .05, .075 points)")
    if any(results[n]["bootstrap"] for n in names):
        print("\npaired bootstrap of the AUC change vs current (95% interval; mirrored network pairs counted once)")
        for v in variants:
            if v == CURRENT:
                continue
            cells = []
            for n in names:
                b = results[n]["bootstrap"].get(v.name)
                cells.append("-" if b is None else f"[{b['lo']:+.3f},{b['hi']:+.3f}]")
            print(f"{v.name:<26}" + "".join(f"{c:>{width}}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--bootstrap", type=int, default=0, help="paired bootstrap rounds (0: none)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    chosen = [VARIANTS[n] for n in args.variants]
    if CURRENT not in chosen:
        chosen.insert(0, CURRENT)
    results = run(args.work, chosen, args.datasets, args.bootstrap)
    for v in chosen:
        print(f"{v.name}: {v.notes or 'tiescale as it is'}")
    print()
    print_results(results, chosen)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        described = {v.name: {"notes": v.notes, "config": asdict(v.config), "duration_fades": v.duration_fades}
                     for v in chosen}
        report = {"work": str(args.work), "variants": described, "results": results}
        args.out.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
