"""From dimensions to the 0-10 scale and its tier, as Ibis expressions (same on every engine).

The score is the strength of a relationship with a memory of months to years (config.ScaleConfig):
points of *now* (recency, intensity, recent regularity: decayed sums and the days since the last
contact) and points of *history* (lifetime two-way share, active days, duration, intimacy, warmth:
counts that do not decay). Saturating curves make the first touchpoints count most. Everything
but recency and reciprocity counts in full for two-way contact and by ``one_way_share`` for
one-way contact. Every point is multiplied by the memory, a slow factor of the days since the last
contact (a month of silence changes nothing, a year after that halves it); recency has its own
faster factor, never above the memory. So the score is at most 10 x memory (history.silence_bound).

The stored ``pts_*`` are the points after every factor, so they add up to the score; the volume
of active days is stored with regularity (``pts_regularity``: how often, lately and in all).
The mapping is absolute: a score depends only on that connection's own history and the date.
Every part grows with more contact (an extra touchpoint only adds to counts and sums, makes the
last contact more recent and the history longer) and shrinks or stays as time passes (decayed sums
shrink, both factors fall; counts and the first-to-last span stay), so an extra touchpoint never
lowers a score, silence never raises one, and a longer shared history never scores lower than a
shorter one with the same recent contact.
"""
from __future__ import annotations

from datetime import datetime

from typing import TYPE_CHECKING

from tiescale.lazymodules import lazy_module

from .config import TIERS, ScaleConfig
from .dimensions import DAY_SECONDS

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir
else:
    ibis = lazy_module("ibis")  # imported on first use: readers get their SQL from the cache


def _saturate(value: ir.NumericValue, scale: float) -> ir.FloatingValue:
    return 1.0 - (-(value.cast("float64") / scale)).exp()


def _fading(days_since: ir.FloatingValue, grace_days: float, scale_days: float) -> ir.FloatingValue:
    """1 within ``grace_days``, then 1 / (1 + extra days of silence / ``scale_days``)."""
    silence = (days_since - grace_days).clip(lower=0.0)
    return 1.0 / (1.0 + silence / scale_days)


def memory(days_since: ir.FloatingValue, config: ScaleConfig) -> ir.FloatingValue:
    """The slow factor every point is multiplied by: what a relationship keeps after a silence."""
    return _fading(days_since, config.grace_days, config.freshness_days)


def freshness(days_since: ir.FloatingValue, config: ScaleConfig) -> ir.FloatingValue:
    """Recency's factor: 1 for ``recency_grace_days``, then fast (a half after two more weeks)."""
    return _fading(days_since, config.recency_grace_days, config.recency_days)


def scored(dims: ir.Table, as_of: datetime | ir.TimestampValue, config: ScaleConfig) -> ir.Table:
    """Adds the points of each dimension, ``score`` (0-10, one decimal) and ``tier``.

    ``as_of`` is one date, or a timestamp column of ``dims`` (each row scored at its own date: the
    history's composition over many dates).
    """
    import ibis.expr.types as types

    cut = as_of if isinstance(as_of, types.Value) else ibis.literal(as_of, type="timestamp")
    p = config.points
    # whole seconds: DuckDB's epoch has microseconds, Spark's unix_timestamp does not
    last, first = dims.last_contact.epoch_seconds().floor(), dims.first_contact.epoch_seconds().floor()
    days_since = (cut.epoch_seconds().floor() - last).cast("float64") / DAY_SECONDS
    duration_days = (last - first).cast("float64") / DAY_SECONDS
    kept = memory(days_since, config)
    # recency's factor never above the memory (a smaller grace and a faster fall; min for safety)
    fresh = ibis.least(freshness(days_since, config), kept)
    recent_share = (0.5 * _saturate(ibis.least(dims.weight_in, dims.weight_out), config.mutual_scale)
                    + 0.5 * _saturate(dims.turns, config.turns_scale))
    lifetime_share = (0.5 * _saturate(dims.two_way_days, config.history_turns_scale)
                      + 0.5 * _saturate(ibis.least(dims.touchpoints_in, dims.touchpoints_out),
                                        config.history_mutual_scale))
    one_way = config.one_way_share
    now = kept * (one_way + (1.0 - one_way) * recent_share)  # factor of the points of now
    past = kept * (one_way + (1.0 - one_way) * lifetime_share)  # factor of the points of history
    span = ((duration_days + 1.0).ln() / ibis.literal(config.duration_full_days + 1.0).ln()).clip(upper=1.0)
    dims = dims.mutate(
        days_since=days_since,
        duration_days=duration_days,
        pts_recency=fresh * p["recency"],
        pts_intensity=now * p["intensity"] * _saturate(dims.intensity, config.intensity_scale),
        pts_regularity=(now * p["regularity"] * _saturate(dims.regularity, config.regular_days_scale)
                        + past * p["volume"] * _saturate(dims.active_days, config.volume_days_scale)),
        pts_reciprocity=kept * p["reciprocity"] * lifetime_share,
        pts_duration=past * p["duration"] * span,
        pts_intimacy=past * p["intimacy"] * (0.5 * _saturate(dims.dms, config.dms_scale)
                                             + 0.5 * _saturate(dims.words, config.words_scale)),
        pts_warmth=past * config.warmth_points * _saturate(dims.warm, config.warm_scale),
    )
    total = (
        dims.pts_intensity + dims.pts_reciprocity + dims.pts_recency + dims.pts_regularity
        + dims.pts_duration + dims.pts_intimacy + dims.pts_warmth
    )
    # one decimal, rounded down; the round(.., 6) keeps float noise from crossing a boundary
    dims = dims.mutate(score=(total.clip(lower=0.0, upper=10.0) * 10).round(6).floor() / 10.0)
    return dims.mutate(tier=tier_expression(dims.score))


def tier_expression(score: ir.NumericValue) -> ir.StringValue:
    """The tier of a score on every engine: config.tier_of's rule, as an expression."""
    return ibis.cases(*[(score < high, name) for name, _low, high, _ in TIERS], else_=TIERS[-1][0])
