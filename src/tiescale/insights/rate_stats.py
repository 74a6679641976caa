"""Intervals for rates per person-time and their ratios.

- A rate (events / person-days): the exact Poisson (Garwood) interval, and a cluster-robust one
  (people are the clusters: a repeat buyer's orders are not independent events); the reported
  interval spans both, so it is exact when events are few and honest when some people buy often.
- A ratio of two rates: the exact conditional interval (given the total, the events of one group are
  binomial; Clopper-Pearson) spanned with a cluster-robust log interval whose variance counts that
  a person who moved between the two groups contributes to both.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType


def _special() -> ModuleType:
    """scipy.special (the incomplete gamma and beta inverses), imported when an interval is computed:
    the refresh after every import loads this module and never needs it (0.1 s)."""
    import importlib

    return importlib.import_module("scipy.special")

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Sums:
    """A group's events ``o``, exposure ``t`` (or revenue ``v`` in place of ``o``) and, per person,
    the sums of squares and products the robust variance needs."""

    events: float
    exposure: float
    e2: float  # sum over people of events squared
    et: float  # sum over people of events * exposure
    t2: float  # sum over people of exposure squared


def garwood(events: float, exposure: float) -> tuple[float, float]:
    """95% exact Poisson interval of events / exposure (events may be a count only)."""
    if exposure <= 0:
        return (0.0, 0.0)
    k = round(events)
    # chi2.ppf(p, 2k) / 2 is the inverse of the regularised lower incomplete gamma function of k
    low = float(_special().gammaincinv(k, 0.025)) if k > 0 else 0.0
    high = float(_special().gammaincinv(k + 1, 0.975))
    return (low / exposure, high / exposure)


def robust_variance_of_log(s: Sums) -> float | None:
    """Var(log(events / exposure)) with people as clusters (the sandwich); None with no events."""
    if s.events <= 0 or s.exposure <= 0:
        return None
    rate = s.events / s.exposure
    residual = s.e2 - 2 * rate * s.et + rate * rate * s.t2
    return max(residual, 0.0) / (s.events * s.events)


def rate_interval(s: Sums, count: bool = True) -> tuple[float, float]:
    """95% interval of a rate: Garwood (counts only) spanned with the robust log interval."""
    if s.exposure <= 0:
        return (0.0, 0.0)
    rate = s.events / s.exposure
    low, high = garwood(s.events, s.exposure) if count else (rate, rate)
    var = robust_variance_of_log(s)
    if var is not None:
        half = Z95 * math.sqrt(var)
        low, high = min(low, rate * math.exp(-half)), max(high, rate * math.exp(half))
    return (low, high)


def exact_ratio_interval(a: int, ta: float, c: int, tc: float) -> tuple[float, float]:
    """95% exact conditional interval of (a / ta) / (c / tc) for Poisson counts a and c."""
    n = a + c
    low_p = float(_special().betaincinv(a, n - a + 1, 0.025)) if a > 0 else 0.0
    high_p = float(_special().betaincinv(a + 1, n - a, 0.975)) if a < n else 1.0
    scale = tc / ta

    def odds(p: float) -> float:
        return math.inf if p >= 1.0 else p / (1 - p)
    return (odds(low_p) * scale, odds(high_p) * scale)


def ratio_interval(x: Sums, base: Sums, cross: float, count: bool = True) -> tuple[float, float, float] | None:
    """(ratio, low, high) of x's rate over base's; None when either has no events.

    ``cross``: sum over people of (x residual) * (base residual) numerators, i.e.
    sum(o_x o_b) - r_b sum(o_x t_b) - r_x sum(t_x o_b) + r_x r_b sum(t_x t_b), already combined.
    """
    if x.events <= 0 or base.events <= 0 or x.exposure <= 0 or base.exposure <= 0:
        return None
    ratio = (x.events / x.exposure) / (base.events / base.exposure)
    low, high = (exact_ratio_interval(round(x.events), x.exposure, round(base.events), base.exposure)
                 if count else (ratio, ratio))
    vx, vb = robust_variance_of_log(x), robust_variance_of_log(base)
    if vx is not None and vb is not None:
        var = max(vx + vb - 2 * cross / (x.events * base.events), 0.0)
        half = Z95 * math.sqrt(var)
        low, high = min(low, ratio * math.exp(-half)), max(high, ratio * math.exp(half))
    return (ratio, low, high)


def cross_term(oo: float, ot: float, to: float, tt: float, rate_x: float, rate_b: float) -> float:
    """sum over people of (o_x - r_x t_x)(o_b - r_b t_b), from its four sums:
    oo = sum(o_x o_b), ot = sum(o_x t_b), to = sum(t_x o_b), tt = sum(t_x t_b)."""
    return oo - rate_b * ot - rate_x * to + rate_x * rate_b * tt


def mantel_haenszel(strata: list[tuple[float, float, float, float]], inflation: float = 1.0
                    ) -> tuple[float, float, float] | None:
    """(ratio, low, high): the Mantel-Haenszel rate ratio over strata of (events x, exposure x,
    events base, exposure base), with the Greenland-Robins variance of its log times ``inflation``
    (the overdispersion repeat buyers add: robust over Poisson variance of the crude ratio, at least 1).

    Comparing days of the same stratum (a calendar month) keeps a time trend shared by everyone (a
    sale, orders imported only for recent weeks) from tilting the ratio when one group's days lie
    later than the other's. None when either side has no events in a stratum both share."""
    num = den = p_sum = 0.0
    for a, t1, c, t0 in strata:
        total = t1 + t0
        if t1 <= 0 or t0 <= 0:
            continue
        num += a * t0 / total
        den += c * t1 / total
        p_sum += t1 * t0 * (a + c) / (total * total)
    if num <= 0 or den <= 0:
        return None
    ratio = num / den
    half = Z95 * math.sqrt(p_sum / (num * den) * max(inflation, 1.0))
    return (ratio, ratio * math.exp(-half), ratio * math.exp(half))


def overdispersion(x: Sums, base: Sums, cross: float) -> float:
    """Robust over Poisson variance of the crude log ratio (1 when events are independent)."""
    vx, vb = robust_variance_of_log(x), robust_variance_of_log(base)
    if vx is None or vb is None:
        return 1.0
    robust = max(vx + vb - 2 * cross / (x.events * base.events), 0.0)
    return max(robust / (1 / x.events + 1 / base.events), 1.0)
