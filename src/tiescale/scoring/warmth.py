"""Text features as scoring reads them: words and warmth per touchpoint, stored at import.

The expressions live in :mod:`tiescale.text.features`; this module feeds them to the dimensions
and recomputes the stored values when the expressions change.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

from tiescale.text.features import message_warmth, word_count

def with_text_features(events: ir.Table) -> ir.Table:
    """``events`` with ``words`` and ``warmth`` per touchpoint, from ``text`` unless already there.

    The store computes both once, when a touchpoint is imported (see :func:`text_features_sql`), so
    scoring never reads the texts again; events from elsewhere (a Parquet file, records in memory)
    get them computed here, with the same expressions.
    """
    missing = {}
    if "words" not in events.columns:
        missing["words"] = word_count(events.text)
    if "warmth" not in events.columns:
        missing["warmth"] = message_warmth(events.text)
    return events.mutate(**missing) if missing else events


def scoring_inputs(events: ir.Table) -> ir.Table:
    """The touchpoints as the dimensions read them: ``words``, and ``warm`` (warmth of their messages only)."""
    events = with_text_features(events)
    return events.mutate(words=events.words.fill_null(0).cast("int64"),
                         warm=(events.direction == "in").ifelse(events.warmth.fill_null(0.0), 0.0))
