"""The one fixed configuration of the relationship scale.

Every number here is part of what a score means; changing one changes every score, so they
live in one place and the README explains them. The same configuration is used for every data
set in the validation (no per-dataset tuning).
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: How much one touchpoint of each kind says about a relationship (a DM or a reply says more
#: than a like). Unknown kinds count as a generic interaction (1.0); an unfollow counts nothing.
KIND_WEIGHTS: dict[str, float] = {
    "dm": 3.0,
    "reply": 2.5,
    "comment": 2.0,
    "quote": 2.0,
    "mention": 1.5,
    "invitation": 1.5,
    "repost": 1.0,
    "like": 0.5,
    "follow": 0.5,
    "unfollow": 0.0,
}
GENERIC_WEIGHT = 1.0

#: Tiers by score: [low, high) on the 0-10 scale, with what each means.
TIERS: tuple[tuple[str, float, float, str], ...] = (
    ("stranger", 0.0, 3.0, "little or no two-way contact"),
    ("acquaintance", 3.0, 5.0, "some contact, not yet a habit"),
    ("regular", 5.0, 7.0, "talks with you regularly, both ways"),
    ("close", 7.0, 9.0, "a real two-way relationship: frequent, recent, lasting"),
    ("champion", 9.0, 10.01, "your inner circle: weekly two-way contact for months"),
)
TIER_NAMES = tuple(t[0] for t in TIERS)


def tier_of(score: float) -> str:
    """The tier of a score: the first whose upper bound is above it (the rule scale.scored writes)."""
    return next((name for name, _low, high, _meaning in TIERS if score < high), TIER_NAMES[-1])


#: The dimensions of a relationship, as dimensions.dimensions computes them (before points).
RAW_DIMENSIONS: tuple[str, ...] = (
    "intensity", "weight_in", "weight_out", "turns", "two_way_days", "touchpoints_in", "touchpoints_out", "dms",
    "words", "warm", "active_days", "regularity", "started_by_them", "first_contact", "last_contact",
)
#: Every dimension column of a score row (connection_scores, person_scores, connection_top), in the
#: tables' order: the raw dimensions, then what scale.scored derives from them (ages, points).
DIMENSION_COLUMNS: tuple[str, ...] = (
    *RAW_DIMENSIONS, "days_since", "duration_days", "pts_intensity", "pts_reciprocity", "pts_recency",
    "pts_regularity", "pts_duration", "pts_intimacy", "pts_warmth",
)
#: A score row's columns after its key: the score, its tier and the dimensions.
SCORED_COLUMNS: tuple[str, ...] = ("score", "tier", *DIMENSION_COLUMNS)


@dataclass(frozen=True)
class ScaleConfig:
    """Time constants and the points each dimension can give (they add up to 10).

    score = freshness x (recency + reciprocity x two-way share + two-way factor x (intensity +
    regularity + duration + intimacy + warmth points)), where
    - freshness is 1 while the last contact is at most ``grace_days`` old, then
      1 / (1 + extra days of silence / ``freshness_days``): a half after 3 + 21 days of silence,
      a quarter after 3 + 63. A strong history that went quiet fades as a whole;
    - the two-way share (0-1) is half the mutual weight, half the two-way days, both saturating;
    - the two-way factor is ``one_way_share`` + (1 - ``one_way_share``) x the two-way share: contact
      that only goes one way counts half, so one-way attention alone stays below 6.3 (regular).
    """

    half_life_days: float = 30.0  # intensity: a touchpoint counts half after a month
    long_half_life_days: float = 60.0  # reciprocity (mutual weight, two-way days) looks two months back
    #: Freshness: contact in the last ``grace_days`` counts as current; after that the whole score is
    #: multiplied by 1 / (1 + (days since the last contact - grace_days) / freshness_days).
    grace_days: float = 3.0
    freshness_days: float = 21.0
    intensity_scale: float = 15.0  # decayed weight at which intensity gives ~63% of its points
    regularity_half_life_days: float = 90.0  # an active day counts half for regularity after 3 months
    regular_days_scale: float = 10.0  # decayed active days at ~63% of regularity points
    turns_scale: float = 6.0  # two-way days at ~63% of reciprocity points
    words_scale: float = 300.0  # words exchanged at ~63% of intimacy's word points
    #: Points before freshness. "recency" is what any contact is worth while fresh: a single
    #: touchpoint today scores a bit over 3, a single exchange of messages about 4 (acquaintance).
    points: dict[str, float] = field(default_factory=lambda: {
        "recency": 3.0,
        "intensity": 2.5,
        "reciprocity": 1.0,
        "regularity": 2.5,
        "duration": 0.5,
        "intimacy": 0.5,
    })
    #: Share of the intensity, regularity, duration, intimacy and warmth points that one-way contact gets.
    one_way_share: float = 0.5
    mutual_scale: float = 5.0  # weight both ways (the smaller side) at ~63% of half the reciprocity points
    dms_scale: float = 5.0  # private messages at ~63% of half the intimacy points
    warm_scale: float = 3.0  # warm messages at ~63% of the warmth points
    #: Warm messages from them add at most this much (cold ones never subtract: a complaint is contact).
    warmth_points: float = 0.5


DEFAULT = ScaleConfig()

