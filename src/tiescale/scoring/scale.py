"""From dimensions to the 0-10 scale and its tier, as Ibis expressions (same on every engine).

Each dimension gives at most a fixed number of points (config.ScaleConfig.points, adding up to
10); saturating curves make the first touchpoints count most. The mapping is absolute: a score
depends only on that connection's own history and the date, never on other people.
Every part grows with more contact and shrinks with time passing, so an extra touchpoint never
lowers a score and silence never raises one.
"""
from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from .config import TIERS, ScaleConfig
from .dimensions import DAY_SECONDS


def _saturate(value: ir.NumericValue, scale: float) -> ir.FloatingValue:
    return 1.0 - (-(value.cast("float64") / scale)).exp()


def scored(dims: ir.Table, as_of: datetime, config: ScaleConfig) -> ir.Table:
    """Adds the points of each dimension, ``score`` (0-10, one decimal) and ``tier``."""
    cut = ibis.literal(as_of, type="timestamp")
    p = config.points
    days_since = (cut.epoch_seconds() - dims.last_contact.epoch_seconds()).cast("float64") / DAY_SECONDS
    duration_days = (dims.last_contact.epoch_seconds() - dims.first_contact.epoch_seconds()).cast("float64") / DAY_SECONDS
    mutual = ibis.least(dims.weight_in, dims.weight_out)
    dims = dims.mutate(
        days_since=days_since,
        duration_days=duration_days,
        pts_intensity=p["intensity"] * _saturate(dims.intensity, config.intensity_scale),
        pts_reciprocity=p["reciprocity"] * (0.5 * _saturate(mutual, config.mutual_scale) + 0.5 * _saturate(dims.turns, config.turns_scale)),
        pts_recency=p["recency"] * ibis.literal(0.5) ** (days_since / config.recency_half_life_days),
        pts_regularity=p["regularity"] * _saturate(dims.regularity, config.regular_days_scale),
        pts_duration=p["duration"] * ((duration_days + 1.0).ln() / ibis.literal(366.0).ln()).clip(upper=1.0),
        pts_intimacy=p["intimacy"] * (0.5 * _saturate(dims.dms, config.dms_scale) + 0.5 * _saturate(dims.words, config.words_scale)),
        pts_warmth=config.warmth_points * _saturate(dims.warm, config.warm_scale),
    )
    total = (
        dims.pts_intensity + dims.pts_reciprocity + dims.pts_recency + dims.pts_regularity
        + dims.pts_duration + dims.pts_intimacy + dims.pts_warmth
    )
    # one decimal, rounded down; the round(.., 6) keeps float noise from crossing a boundary
    dims = dims.mutate(score=(total.clip(lower=0.0, upper=10.0) * 10).round(6).floor() / 10.0)
    tier = ibis.cases(*[(dims.score < high, name) for name, _low, high, _ in TIERS], else_=TIERS[-1][0])
    return dims.mutate(tier=tier)
