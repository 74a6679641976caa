"""The dimensions of a relationship, as backend-neutral Ibis expressions.

Written once; run on DuckDB (the store) or on Spark (events handed over as Parquet).
Two steps, both plain GROUP BYs: touchpoints -> one row per (key, day) -> one row per key.
The key is (account, platform, person) for connections, or person_id across accounts.
"""
from __future__ import annotations

from datetime import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from tiescale.lazymodules import lazy_module

from .config import GENERIC_WEIGHT, KIND_WEIGHTS, ScaleConfig

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir
else:
    ibis = lazy_module("ibis")  # imported on first use: readers get their SQL from the cache

DAY_SECONDS = 86_400.0


#: The decayed dimensions, each with the ScaleConfig half-life it halves over. A day of contact
#: ``age`` days old counts 0.5^(age / half-life): so a snapshot rolled forward by ``d`` days is the
#: old one times 0.5^(d / half-life) (incremental.py), which equals recomputing it.
HALF_LIVES: dict[str, str] = {
    "intensity": "half_life_days",
    "weight_in": "long_half_life_days",
    "weight_out": "long_half_life_days",
    "turns": "long_half_life_days",
    "regularity": "regularity_half_life_days",
}

_Age = TypeVar("_Age", float, "ir.FloatingValue")


def decay(age_days: _Age, half_life_days: float) -> _Age:
    """0.5^(age / half-life): what contact ``age_days`` old still counts (an Ibis value or a number)."""
    if isinstance(age_days, float):
        return float(0.5 ** (age_days / half_life_days))  # a float power of a float: typed Any
    return ibis.literal(0.5) ** (age_days / half_life_days)


def decay_factors(age_days: _Age, config: ScaleConfig) -> dict[str, _Age]:
    """The decay factor of every decayed dimension after ``age_days`` (the one decay formula)."""
    return {column: decay(age_days, getattr(config, half_life)) for column, half_life in HALF_LIVES.items()}


def kind_weight(kind: ir.StringValue) -> ir.FloatingValue:
    """The weight of a touchpoint's kind, typed DOUBLE in the SQL: the weights are written as float32
    literals (exact: halves) and cast, because a bare ``3.0`` is a DECIMAL to DuckDB, whose sums
    over millions of day rows are 128-bit (about a tenth of a full run's grouping)."""
    weights = {k: ibis.literal(w, type="float32") for k, w in KIND_WEIGHTS.items()}
    return kind.substitute(weights, else_=ibis.literal(GENERIC_WEIGHT, type="float32")).cast("float64")


def daily(events: ir.Table, keys: Sequence[str], as_of: datetime) -> ir.Table:
    """One row per key and day of contact, from touchpoints strictly before ``as_of``.

    ``events`` needs: keys, ts (timestamp), direction, kind, words and warm per touchpoint (see
    warmth.scoring_inputs: the words of the message, and its warmth if it is theirs).
    """
    cut = ibis.literal(as_of, type="timestamp")
    ev = events.filter(events.ts.notnull(), events.ts < cut)
    inbound = ev.direction == "in"
    weight = kind_weight(ev.kind)
    ev = ev.mutate(
        day=ev.ts.truncate("D"),
        w_in=inbound.ifelse(weight, 0.0),
        w_out=inbound.ifelse(0.0, weight),
        words=ev.words.cast("int64"),
        warm=ev.warm.cast("float64"),
    )
    # counts (64-bit), not sums of 0/1 (128-bit in DuckDB)
    return ev.group_by([*keys, "day"]).aggregate(
        w_in=ev.w_in.sum(),
        w_out=ev.w_out.sum(),
        n_in=ev.count(where=ev.direction == "in"),
        n_out=ev.count(where=ev.direction != "in"),
        n_dm=ev.count(where=ev.kind == "dm"),
        words=ev.words.sum(),
        warm=ev.warm.sum(),
        first_ts=ev.ts.min(),
        last_ts=ev.ts.max(),
        first_in_ts=inbound.ifelse(ev.ts, ibis.null("timestamp")).min(),
    )


def rollup(days: ir.Table, keys: Sequence[str]) -> ir.Table:
    """Day rows of connections summed to coarser keys (a person across accounts), per day."""
    return days.group_by([*keys, "day"]).aggregate(
        w_in=days.w_in.sum(),
        w_out=days.w_out.sum(),
        n_in=days.n_in.sum(),
        n_out=days.n_out.sum(),
        n_dm=days.n_dm.sum(),
        words=days.words.sum(),
        warm=days.warm.sum(),
        first_ts=days.first_ts.min(),
        last_ts=days.last_ts.max(),
        first_in_ts=days.first_in_ts.min(),
    )


def dimensions(days: ir.Table, keys: Sequence[str], as_of: datetime, config: ScaleConfig) -> ir.Table:
    """One row per key: the raw dimensions of the relationship as of ``as_of``.

    Decayed fields (intensity, weight_in/out, turns, regularity) only shrink as time passes, by a
    known factor: a later snapshot of an untouched connection is this one times that factor.
    """
    cut = ibis.literal(as_of, type="timestamp")
    age = (cut.epoch_seconds() - days.day.epoch_seconds()).cast("float64") / DAY_SECONDS
    # one power per half-life and day row (three, not one per decayed dimension), computed before grouping
    half_lives = sorted(set(HALF_LIVES.values()))
    days = days.mutate(**{f"decay_{name}": decay(age, getattr(config, name)) for name in half_lives})
    factor = {column: days[f"decay_{name}"] for column, name in HALF_LIVES.items()}
    two_way = ((days.n_in > 0) & (days.n_out > 0)).cast("float64")
    return days.group_by(list(keys)).aggregate(
        intensity=((days.w_in + days.w_out) * factor["intensity"]).sum(),
        weight_in=(days.w_in * factor["weight_in"]).sum(),
        weight_out=(days.w_out * factor["weight_out"]).sum(),
        turns=(two_way * factor["turns"]).sum(),
        two_way_days=days.count(where=(days.n_in > 0) & (days.n_out > 0)),
        touchpoints_in=days.n_in.sum(),
        touchpoints_out=days.n_out.sum(),
        dms=days.n_dm.sum(),
        words=days.words.sum(),
        warm=days.warm.sum(),
        active_days=days.count(),
        regularity=factor["regularity"].sum(),
        started_by_them=days.count(where=(days.first_in_ts == days.first_ts).fill_null(False)),
        first_contact=days.first_ts.min(),
        last_contact=days.last_ts.max(),
    )


#: Dimensions that are sums of per-day values linear in the day's touchpoints: a person's is the sum
#: of their connections'. The PER_DAY ones are not: a day with contact on two connections is one
#: active day, and may be two-way although neither connection was.
ADDED = ("intensity", "weight_in", "weight_out", "touchpoints_in", "touchpoints_out", "dms", "words", "warm")
PER_DAY = ("turns", "two_way_days", "active_days", "regularity", "started_by_them")
#: The integer dimensions (stored as 64-bit integers).
INTEGER_DIMENSIONS = ("two_way_days", "touchpoints_in", "touchpoints_out", "dms", "words", "active_days",
                      "started_by_them")


def across(dims: ir.Table, days: ir.Table, key: str, as_of: datetime, config: ScaleConfig) -> ir.Table:
    """Dimensions per ``key`` (a person) from their connections' dimensions and days.

    Equal to ``dimensions(rollup(days, [key]), [key], ...)``, without regrouping every day: the
    connections' dimensions are added up, then only the days shared by several connections are
    regrouped, to count each of them once. ``dims`` and ``days`` both carry ``key``.
    """
    base = dims.group_by(key).aggregate(
        **{c: dims[c].sum() for c in (*ADDED, *PER_DAY)},
        first_contact=dims.first_contact.min(),
        last_contact=dims.last_contact.max(),
    )
    counted = days.group_by([key, "day"]).aggregate(connections=days.count())
    shared = days.semi_join(counted.filter(counted.connections > 1), [key, "day"])
    once = dimensions(rollup(shared, [key]), [key], as_of, config)
    apart = dimensions(shared, [key], as_of, config)  # each connection's day counted on its own
    apart = apart.select(key, **{f"{c}_apart": apart[c] for c in PER_DAY})
    fix = once.join(apart, key).select(key, **{f"{c}_fix": once[c] - apart[f"{c}_apart"] for c in PER_DAY})
    out = base.left_join(fix, key)
    return out.select(
        base[key],
        *[base[c] for c in ADDED],
        **{c: base[c] + out[f"{c}_fix"].fill_null(0) for c in PER_DAY},
        first_contact=base.first_contact,
        last_contact=base.last_contact,
    )
