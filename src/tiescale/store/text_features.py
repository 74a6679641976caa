"""The stored text features: every touchpoint's words and warmth, computed once at import.

The expressions are :mod:`tiescale.text.features`; when they change (another word list, another
way of counting), the stored values are recomputed once, so stored values and the engines that
compute them from text (Spark, records in memory) never disagree. Migrations only add the empty
columns (they are frozen SQL); the values are this module's job.
"""
from __future__ import annotations

import duckdb

from tiescale.text.features import text_features_sql, text_features_version


def refresh_text_features(con: duckdb.DuckDBPyConnection, recompute: bool = False) -> bool:
    """Recompute every stored touchpoint's words and warmth unless today's expressions computed them.

    The store records the version it holds (table ``text_features_version``; empty: no expressions
    computed them yet, as a store that migration 10 just gave the columns). A tiescale whose word
    list or counting changed recomputes them all once, in the caller's transaction, so stored values
    and the engines that compute them from text (Spark, records in memory) never disagree.
    ``recompute``: whatever the stored version says (the columns were just added).
    """
    version = text_features_version()
    stored = con.execute("SELECT version FROM text_features_version").fetchone()
    if not recompute and stored is not None and stored[0] == version:
        return False
    words, warmth = text_features_sql()
    con.execute(f"UPDATE interactions SET words = {words}, warmth = {warmth}")
    con.execute("DELETE FROM text_features_version")
    con.execute("INSERT INTO text_features_version (version) VALUES (?)", [version])
    return True
