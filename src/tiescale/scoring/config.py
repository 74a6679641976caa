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

#: Tiers by score: [low, high) on the 0-10 scale, with what each means. The score is the strength of
#: the relationship the history shows (it fades over months of silence); whether it is active now is
#: a separate reading (insights.activity). So no meaning claims recency, frequency now or a duration
#: the reasons printed under it could contradict: a long relationship gone quiet is not a stranger.
TIERS: tuple[tuple[str, float, float, str], ...] = (
    ("stranger", 0.0, 3.0, "hardly any relationship: little contact, or only long ago"),
    ("acquaintance", 3.0, 5.0, "a light relationship: some contact, one-way, occasional or long quiet"),
    ("regular", 5.0, 7.0, "a real relationship: repeated contact both ways"),
    ("close", 7.0, 9.0, "a strong relationship: frequent two-way contact over time"),
    ("champion", 9.0, 10.01, "your inner circle: frequent, lasting two-way contact, still going"),
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


#: The version of the scale's formula (scale.py), in the scale's fingerprint (run.scale_fingerprint)
#: through ``ScaleConfig.formula_version``: a store scored with another formula is rescored once
#: (insights.activity.rescore_if_scale_changed). 2: the scale remembers (issue 16).
SCALE_VERSION = 2


@dataclass(frozen=True)
class ScaleConfig:
    """Time constants and the points each part can give (they add up to 10).

    The score is the strength of the relationship the history shows, with a memory of months to
    years; whether it is active now is read apart (insights.activity). Two kinds of points:

    - **now** (recency, intensity, the recent part of regularity): what the last weeks show. Recency
      is ``points["recency"]`` x 1 / (1 + extra days of silence after ``recency_grace_days`` /
      ``recency_days``); intensity and recent regularity are decayed sums (dimensions.HALF_LIVES);
    - **history** (reciprocity, the volume part of regularity, duration, intimacy, warmth): lifetime
      counts (two-way days, touchpoints each way, active days, private messages, words), the time
      from first to last contact. They do not decay; the memory below fades them.

    Every point is multiplied by the **memory** of the days since the last contact: 1 within
    ``grace_days``, then 1 / (1 + extra days / ``freshness_days``): a month of silence changes
    nothing, a year after that keeps two thirds, two years a half. (The names are the ones
    history.silence_bound reads: every point is at most 10 x this factor.) Recency's own factor
    falls faster and never above the memory.

    Intensity, regularity, duration, intimacy and warmth count in full for two-way contact and by
    ``one_way_share`` for one-way contact, so one-way attention alone stays below 5 (regular).
    """

    half_life_days: float = 30.0  # intensity: a touchpoint counts half after a month
    long_half_life_days: float = 60.0  # recent reciprocity (mutual weight, two-way days) looks two months back
    #: Memory: every point x 1 / (1 + max(days since the last contact - grace_days, 0) / freshness_days).
    grace_days: float = 30.0
    freshness_days: float = 730.0
    #: Recency: points["recency"] x 1 / (1 + max(days since - recency_grace_days, 0) / recency_days).
    recency_grace_days: float = 3.0
    recency_days: float = 14.0
    intensity_scale: float = 15.0  # decayed weight at which intensity gives ~63% of its points
    regularity_half_life_days: float = 90.0  # an active day counts half for recent regularity after 3 months
    regular_days_scale: float = 10.0  # decayed active days at ~63% of recent regularity points
    turns_scale: float = 6.0  # recent (decayed) two-way days at ~63% of half the recent two-way share
    mutual_scale: float = 5.0  # recent weight both ways (the smaller side) at ~63% of half the recent share
    #: History: lifetime two-way days, and touchpoints of the smaller direction, at ~63% of half the
    #: lifetime two-way share (which gives the reciprocity points).
    history_turns_scale: float = 3.0
    history_mutual_scale: float = 3.0
    volume_days_scale: float = 25.0  # lifetime active days at ~63% of the volume points
    duration_full_days: float = 730.0  # duration gives all its points after two years (log curve)
    words_scale: float = 300.0  # words exchanged at ~63% of intimacy's word points
    dms_scale: float = 5.0  # private messages at ~63% of half the intimacy points
    warm_scale: float = 3.0  # warm messages at ~63% of the warmth points
    points: dict[str, float] = field(default_factory=lambda: {
        "recency": 2.5,  # now: a single touchpoint today is worth 2.5
        "intensity": 1.0,  # now: decayed weight of the last weeks
        "regularity": 0.5,  # now: decayed active days of the last months
        "volume": 1.5,  # history: lifetime active days (reported with regularity)
        "reciprocity": 2.0,  # history: lifetime two-way share
        "duration": 1.0,  # history: first to last contact
        "intimacy": 1.0,  # history: private messages and words
    })
    #: Warm messages from them add at most this much (cold ones never subtract: a complaint is contact).
    warmth_points: float = 0.5
    #: Share of the intensity, regularity, volume, duration, intimacy and warmth points that one-way contact gets.
    one_way_share: float = 0.4
    #: The formula's version, in the fingerprint (run.scale_fingerprint hashes every field).
    formula_version: int = SCALE_VERSION


DEFAULT = ScaleConfig()

