"""The dimensions of a relationship, as backend-neutral Ibis expressions.

Written once; run on DuckDB (the store) or on Spark (events handed over as Parquet).
Plain GROUP BYs: the touchpoints grouped per key give the sums and first/last contact; grouped per
key and day (slim day marks) and then per key, the per-day dimensions (:func:`contact_dimensions`).
The key is a connection, or person_id across accounts (:func:`across`: their connections' dimensions
plus the days they share). :func:`daily` and :func:`dimensions` are the same in the two-step form
(every sum per day first), which readers that regroup days use.
"""
from __future__ import annotations

import math
from datetime import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from tiescale.lazymodules import lazy_module

from .config import GENERIC_WEIGHT, KIND_WEIGHTS, RAW_DIMENSIONS, ScaleConfig

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir
else:
    ibis = lazy_module("ibis")  # imported on first use: readers get their SQL from the cache

DAY_SECONDS = 86_400.0
#: The raw dimensions in the score tables' order (every function below returns them so).
_RAW_ORDER = RAW_DIMENSIONS


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
    """0.5^(age / half-life): what contact ``age_days`` old still counts (an Ibis value or a number).

    Written exp(age x ln(0.5) / half-life): the same number to the last bits or so, and DuckDB's exp
    takes half the time of its pow (a full run takes two per touchpoint and per day of contact)."""
    rate = math.log(0.5) / half_life_days
    if isinstance(age_days, float):
        return math.exp(age_days * rate)
    return (age_days * ibis.literal(rate, type="float64")).exp()


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
    """One row per key and day of contact, from touchpoints strictly before ``as_of``: every sum of
    the day (the input of :func:`dimensions`, for readers that regroup days, insights.touch_states).

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
        first_in_ts=ev.ts.min(where=inbound),
    )


def day_marks(events: ir.Table, keys: Sequence[str], as_of: datetime) -> ir.Table:
    """One row per key and day of contact with only what the per-day dimensions read: touchpoints in
    and out, and the times of the day's first touchpoint and first inbound one.

    The scorer groups touchpoints twice, by key (:func:`event_totals`) and by key and day (this),
    instead of grouping every sum by day first and the days by key (2.5 s instead of 3.15 s at 10M
    heavy-tailed touchpoints): most days of a connection hold one touchpoint, so the day rows are
    nearly as many as the touchpoints, and their width is the cost.
    """
    cut = ibis.literal(as_of, type="timestamp")
    ev = events.filter(events.ts.notnull(), events.ts < cut)
    ev = ev.mutate(day=ev.ts.truncate("D"))
    return ev.group_by([*keys, "day"]).aggregate(
        n_in=ev.count(where=ev.direction == "in"),
        n_out=ev.count(where=ev.direction != "in"),
        first_ts=ev.ts.min(),
        first_in_ts=ev.ts.min(where=ev.direction == "in"),
    )


#: How day rows of several connections combine into one (:func:`rollup`), for the columns present.
_DAY_COMBINE: dict[str, str] = {
    "w_in": "sum", "w_out": "sum", "n_in": "sum", "n_out": "sum", "n_dm": "sum", "words": "sum", "warm": "sum",
    "first_ts": "min", "last_ts": "max", "first_in_ts": "min",
}


def rollup(days: ir.Table, keys: Sequence[str]) -> ir.Table:
    """Day rows (of :func:`daily` or :func:`day_marks`) of connections combined per coarser key (a
    person across accounts) and day."""
    combine = {c: getattr(days[c], how)() for c, how in _DAY_COMBINE.items() if c in days.columns}
    return days.group_by([*keys, "day"]).aggregate(**combine)


def _with_decays(table: ir.Table, day: ir.TimestampValue, as_of: datetime, config: ScaleConfig,
                 columns: Sequence[str]) -> ir.Table:
    """``table`` with ``decay_<half-life>``: what a day ``day`` counts at ``as_of``, one power per
    half-life the decayed ``columns`` use (computed per row before grouping, not per dimension)."""
    cut = ibis.literal(as_of, type="timestamp")
    age = (cut.epoch_seconds() - day.epoch_seconds()).cast("float64") / DAY_SECONDS
    half_lives = sorted({HALF_LIVES[c] for c in columns})
    return table.mutate(**{f"decay_{name}": decay(age, getattr(config, name)) for name in half_lives})


def _decayed(table: ir.Table, column: str) -> ir.FloatingValue:
    """The decay factor column of the dimension ``column`` (added by :func:`_with_decays`)."""
    return table[f"decay_{HALF_LIVES[column]}"]


def _per_day_aggregates(days: ir.Table) -> dict[str, ir.Value]:
    """The PER_DAY dimensions over day rows carrying n_in, n_out, first_ts, first_in_ts and decays."""
    two_way = (days.n_in > 0) & (days.n_out > 0)
    return {
        "turns": (two_way.cast("float64") * _decayed(days, "turns")).sum(),
        "two_way_days": days.count(where=two_way),
        "active_days": days.count(),
        "regularity": _decayed(days, "regularity").sum(),
        "started_by_them": days.count(where=(days.first_in_ts == days.first_ts).fill_null(False)),
    }


def dimensions(days: ir.Table, keys: Sequence[str], as_of: datetime, config: ScaleConfig) -> ir.Table:
    """One row per key: the raw dimensions of the relationship as of ``as_of``, from :func:`daily` rows.

    Decayed fields (intensity, weight_in/out, turns, regularity) only shrink as time passes, by a
    known factor: a later snapshot of an untouched connection is this one times that factor. The
    scorer computes the same from touchpoints and day marks (:func:`contact_dimensions`).
    """
    days = _with_decays(days, days.day, as_of, config, tuple(HALF_LIVES))
    aggregates = {
        "intensity": ((days.w_in + days.w_out) * _decayed(days, "intensity")).sum(),
        "weight_in": (days.w_in * _decayed(days, "weight_in")).sum(),
        "weight_out": (days.w_out * _decayed(days, "weight_out")).sum(),
        "touchpoints_in": days.n_in.sum(),
        "touchpoints_out": days.n_out.sum(),
        "dms": days.n_dm.sum(),
        "words": days.words.sum(),
        "warm": days.warm.sum(),
        "first_contact": days.first_ts.min(),
        "last_contact": days.last_ts.max(),
        **_per_day_aggregates(days),
    }
    return days.group_by(list(keys)).aggregate(**{c: aggregates[c] for c in _RAW_ORDER})


def day_dimensions(days: ir.Table, keys: Sequence[str], as_of: datetime, config: ScaleConfig) -> ir.Table:
    """The PER_DAY dimensions per key, from day rows (:func:`day_marks`, or :func:`daily`)."""
    days = _with_decays(days, days.day, as_of, config, ("turns", "regularity"))
    return days.group_by(list(keys)).aggregate(**_per_day_aggregates(days))


def event_totals(events: ir.Table, keys: Sequence[str], as_of: datetime, config: ScaleConfig) -> ir.Table:
    """The dimensions that add up over touchpoints (ADDED), and first and last contact, per key,
    straight from the touchpoints strictly before ``as_of``: a touchpoint's decayed weight counts
    from its day's midnight, as its day row's would."""
    cut = ibis.literal(as_of, type="timestamp")
    ev = events.filter(events.ts.notnull(), events.ts < cut)
    ev = _with_decays(ev, ev.ts.truncate("D"), as_of, config, ("intensity", "weight_in"))
    inbound = ev.direction == "in"
    weight = kind_weight(ev.kind)
    return ev.group_by(list(keys)).aggregate(
        intensity=(weight * _decayed(ev, "intensity")).sum(),
        weight_in=(inbound.ifelse(weight, 0.0) * _decayed(ev, "weight_in")).sum(),
        weight_out=(inbound.ifelse(0.0, weight) * _decayed(ev, "weight_out")).sum(),
        touchpoints_in=ev.count(where=ev.direction == "in"),
        touchpoints_out=ev.count(where=ev.direction != "in"),
        dms=ev.count(where=ev.kind == "dm"),
        words=ev.words.cast("int64").sum(),
        warm=ev.warm.cast("float64").sum(),
        first_contact=ev.ts.min(),
        last_contact=ev.ts.max(),
    )


def contact_dimensions(events: ir.Table, marks: ir.Table, keys: Sequence[str], as_of: datetime,
                       config: ScaleConfig) -> ir.Table:
    """One row per key: the raw dimensions as of ``as_of`` from touchpoints ``events`` and their
    :func:`day_marks` ``marks``; equal to ``dimensions(daily(events, ...), ...)`` up to float sums."""
    totals = event_totals(events, keys, as_of, config)
    per_day = day_dimensions(marks, keys, as_of, config)
    # a key may be null (records scored in memory): nulls match
    joined = totals.join(per_day, [totals[k].identical_to(per_day[k]) for k in keys])
    return joined.select(*[totals[k] for k in keys],
                         **{c: (totals[c] if c in totals.columns else per_day[c]) for c in _RAW_ORDER})


#: Dimensions that are sums of per-day values linear in the day's touchpoints: a person's is the sum
#: of their connections'. The PER_DAY ones are not: a day with contact on two connections is one
#: active day, and may be two-way although neither connection was.
ADDED = ("intensity", "weight_in", "weight_out", "touchpoints_in", "touchpoints_out", "dms", "words", "warm")
PER_DAY = ("turns", "two_way_days", "active_days", "regularity", "started_by_them")
#: The integer dimensions (stored as 64-bit integers).
INTEGER_DIMENSIONS = ("two_way_days", "touchpoints_in", "touchpoints_out", "dms", "words", "active_days",
                      "started_by_them")


def across(dims: ir.Table, days: ir.Table, key: str, as_of: datetime, config: ScaleConfig) -> ir.Table:
    """Dimensions per ``key`` (a person) from their connections' dimensions and days (rows of
    :func:`day_marks`, or of :func:`daily`).

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
    once = day_dimensions(rollup(shared, [key]), [key], as_of, config)
    apart = day_dimensions(shared, [key], as_of, config)  # each connection's day counted on its own
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
