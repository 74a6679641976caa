"""From dimensions to the 0-10 scale and its tier, as Ibis expressions (same on every engine).

Each dimension gives at most a fixed number of points (config.ScaleConfig.points, adding up to
10); saturating curves make the first touchpoints count most. Intensity, regularity, duration,
intimacy and warmth count in full for two-way contact and by ``one_way_share`` for one-way
contact (the two-way factor). Every point is then multiplied by one freshness factor of the days
since the last contact: 1 within ``grace_days``, then 1 / (1 + (days - grace_days) /
freshness_days). The stored ``pts_*`` are the points after both factors, so they still add up to
the score. The mapping is absolute: a score depends only on
that connection's own history and the date, never on other people.
Every part, and both factors, grow with more contact and shrink with time passing (an extra
touchpoint can only make the last contact more recent and the two-way share larger), so an extra
touchpoint never lowers a score and silence never raises one.
"""
from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from .config import TIERS, ScaleConfig
from .dimensions import DAY_SECONDS


def _saturate(value: ir.NumericValue, scale: float) -> ir.FloatingValue:
    return 1.0 - (-(value.cast("float64") / scale)).exp()


def freshness(days_since: ir.FloatingValue, config: ScaleConfig) -> ir.FloatingValue:
    """1 while the last contact is at most ``grace_days`` old, then hyperbolic in the extra days of silence."""
    silence = (days_since - config.grace_days).clip(lower=0.0)
    return 1.0 / (1.0 + silence / config.freshness_days)


def scored(dims: ir.Table, as_of: datetime | ir.TimestampValue, config: ScaleConfig) -> ir.Table:
    """Adds the points of each dimension, ``score`` (0-10, one decimal) and ``tier``.

    ``as_of`` is one date, or a timestamp column of ``dims`` (each row scored at its own date: the
    history's composition over many dates).
    """
    cut = as_of if isinstance(as_of, ir.Value) else ibis.literal(as_of, type="timestamp")
    p = config.points
    # whole seconds: DuckDB's epoch has microseconds, Spark's unix_timestamp does not
    last, first = dims.last_contact.epoch_seconds().floor(), dims.first_contact.epoch_seconds().floor()
    days_since = (cut.epoch_seconds().floor() - last).cast("float64") / DAY_SECONDS
    duration_days = (last - first).cast("float64") / DAY_SECONDS
    mutual = ibis.least(dims.weight_in, dims.weight_out)
    fresh = freshness(days_since, config)
    two_way = 0.5 * _saturate(mutual, config.mutual_scale) + 0.5 * _saturate(dims.turns, config.turns_scale)
    both = fresh * (config.one_way_share + (1.0 - config.one_way_share) * two_way)
    dims = dims.mutate(
        days_since=days_since,
        duration_days=duration_days,
        pts_intensity=both * p["intensity"] * _saturate(dims.intensity, config.intensity_scale),
        pts_reciprocity=fresh * p["reciprocity"] * two_way,
        pts_recency=fresh * p["recency"],
        pts_regularity=both * p["regularity"] * _saturate(dims.regularity, config.regular_days_scale),
        pts_duration=both * p["duration"] * ((duration_days + 1.0).ln() / ibis.literal(366.0).ln()).clip(upper=1.0),
        pts_intimacy=both * p["intimacy"] * (0.5 * _saturate(dims.dms, config.dms_scale)
                                             + 0.5 * _saturate(dims.words, config.words_scale)),
        pts_warmth=both * config.warmth_points * _saturate(dims.warm, config.warm_scale),
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
