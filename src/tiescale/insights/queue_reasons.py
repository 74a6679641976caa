"""The queue's relationship reasons (cooling, rising, thank, reengage) and the names to show.

Both run when the queue's cache is built (see ``queue``), not on every read.
"""
from __future__ import annotations

from datetime import UTC
from typing import Any

from tiescale.scoring.history import scores_over_sql, scores_sql
from tiescale.store.db import Store
from .queue_items import ACTIONS, QueueConfig, QueueItem
from .score_highs import highs_sql


def relationship_reasons(store: Store, params: dict[str, Any], config: QueueConfig) -> dict[int, QueueItem]:
    """cooling, rising, thank, reengage from the snapshots at T, T - window and the history."""
    con = store.con
    c = config
    # the scores at T and T - window, and at every scored date of the history (composed, scoring/history.py)
    at = {"$t": params["t"], "$tprev": params["tprev"]}
    if params["account"] is None:
        def scores(as_of: str) -> str:
            return f"""SELECT person_id, score, tier, first_contact, last_contact FROM ({scores_sql(store, at[as_of])})
                       WHERE as_of = {as_of}"""
        # every scored date of the window: its people at the peak kept by the refresh (score_highs)
        dates = [r["as_of"] for r in store.rows(
            "SELECT DISTINCT as_of FROM score_runs WHERE as_of >= ? AND as_of <= ?",
            [params["history_from"], params["t"]])]
        history = (f"SELECT person_id, max(score) AS peak, arg_max(as_of, score) AS peak_at "
                   f"FROM ({highs_sql(store, dates, c.reengage_peak)}) "
                   "WHERE as_of >= $history_from AND as_of <= $t AND score >= $peak GROUP BY 1")
        # the scores at T - window of the candidates only (composing every person costs a second at a
        # million people): those at the thresholds now, at the cooling one then (kept by score_highs),
        # and former champions
        lowest_now = min(c.rising_min_score, c.cooling_min_score, c.thank_min_score)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE queue_reason_ids AS
            SELECT person_id FROM ({scores('$t')}) WHERE score >= {lowest_now}
            UNION SELECT person_id FROM ({highs_sql(store, [params['tprev']], c.cooling_min_score)})
            UNION SELECT person_id FROM ({history})""",
                    {"t": params["t"], "history_from": params["history_from"], "peak": c.reengage_peak})
        tprev = f"SELECT TIMESTAMP '{params['tprev'].isoformat(sep=' ')}' AS at"
        old_sql = f"""SELECT person_id, score, tier, first_contact, last_contact
                      FROM ({scores_over_sql(tprev, 'person', only='queue_reason_ids')})"""
    else:
        run_dates = "SELECT DISTINCT as_of AS at FROM score_runs WHERE as_of >= $history_from AND as_of <= $t"

        def scores(as_of: str) -> str:
            return f"""SELECT d.person_id, max(s.score) AS score, arg_max(s.tier, s.score) AS tier,
                              min(s.first_contact) AS first_contact, max(s.last_contact) AS last_contact
                       FROM ({scores_sql(store, at[as_of], "connection")}) s
                       JOIN identities d ON d.platform = s.platform AND d.handle = s.person
                       WHERE s.as_of = {as_of} AND s.account = $account GROUP BY 1"""
        history = ("SELECT d.person_id, max(s.score) AS peak, arg_max(s.as_of, s.score) AS peak_at "
                   f"FROM ({scores_over_sql(run_dates, 'connection', min_score=c.reengage_peak)}) s "
                   "JOIN identities d ON d.platform = s.platform AND d.handle = s.person "
                   "WHERE s.as_of >= $history_from AND s.as_of <= $t AND s.account = $account AND s.score >= $peak "
                   "GROUP BY 1")
        old_sql = scores("$tprev")
    query_params = {"t": params["t"], "tprev": params["tprev"], "history_from": params["history_from"],
                    "peak": c.reengage_peak}
    if params["account"] is not None:
        query_params["account"] = params["account"]
    else:  # T - window is written into the candidates' composition
        del query_params["tprev"]
    rows = con.execute(f"""
        WITH cur AS ({scores('$t')}), old AS ({old_sql}), hist AS ({history}),
        ids AS (
            SELECT person_id FROM cur WHERE score >= {min(c.rising_min_score, c.cooling_min_score, c.thank_min_score)}
            UNION SELECT person_id FROM old WHERE score >= {c.cooling_min_score}
            UNION SELECT person_id FROM hist
        ),
        cand AS (
            SELECT ids.person_id, cur.score AS score, cur.tier AS tier, old.score AS old_score, hist.peak,
                   hist.peak_at, cur.first_contact, coalesce(cur.last_contact, old.last_contact) AS last_contact
            FROM ids LEFT JOIN cur USING (person_id) LEFT JOIN old USING (person_id) LEFT JOIN hist USING (person_id)
        )
        SELECT cand.*, np.last_out, np.last_contact AS any_contact, np.median_gap_days
        FROM cand JOIN people p ON p.person_id = cand.person_id AND p.merged_into IS NULL
        LEFT JOIN answer_people np ON np.person_id = cand.person_id
    """, query_params).fetchall()
    con.execute("DROP TABLE IF EXISTS queue_reason_ids")
    t = params["t"].replace(tzinfo=UTC)
    items: dict[int, QueueItem] = {}
    for (person_id, score, tier, old_score, peak, peak_at, first_contact, last_contact, last_out, any_contact,
         gap) in rows:
        score = score or 0.0
        contact = any_contact or (last_contact.replace(tzinfo=UTC) if last_contact else None)
        silence = (t - contact).total_seconds() / 86400 if contact else None
        item = None
        if peak is not None and silence is not None and silence >= c.dormant_days:
            item = ("reengage", peak - score,
                    f"was a champion ({peak:.1f} on {peak_at:%Y-%m-%d}); silent for {silence:.0f} days, now {score:.1f}")
        elif old_score is not None and old_score >= c.cooling_min_score and old_score - score >= c.cooling_drop:
            item = ("cooling", old_score - score,
                    f"score fell from {old_score:.1f} to {score:.1f} in {c.window_days} days"
                    + (f"; silent for {silence:.0f} days" if silence is not None and silence >= 2 else ""))
        elif (score >= c.cooling_min_score and gap and silence is not None and silence >= c.cooling_min_silence_days
              and silence >= c.rhythm_factor * gap):
            item = ("cooling", max((old_score or score) - score, 0.0),
                    f"silent for {silence:.0f} days, {silence / gap:.0f}x their usual gap of {gap:.1f} days "
                    f"(score {score:.1f})")
        elif score >= c.thank_min_score:
            since_out = (t - last_out).total_seconds() / 86400 if last_out else None
            if since_out is None or since_out >= c.thank_after_days:
                weeks = 10.0 if since_out is None else min(10.0, since_out / 7)
                item = ("thank", weeks, f"a champion ({score:.1f}) who keeps showing up; "
                        + ("you have never written to them" if since_out is None
                           else f"you last engaged with them {since_out:.0f} days ago"))
        elif (first_contact is not None and score >= c.rising_min_score
              and first_contact >= params["tprev"]):
            new_days = (params["t"] - first_contact).total_seconds() / 86400
            item = ("rising", score - (old_score or 0.0),
                    f"new {new_days:.0f} days ago, already at {score:.1f} ({tier})")
        if item is None:
            continue
        reason, gain, evidence = item
        items[person_id] = QueueItem(person_id, "", None, None, None, reason, round(max(gain, 0.0), 2), evidence,
                                     ACTIONS[reason], round(score, 1), tier,
                                     details={"expected_gain": round(max(gain, 0.0), 2)})
    return items


def fill_names(store: Store, items: list[QueueItem], t_now: Any, account: str | None) -> None:
    """Names, the connection to show, and the current score/tier, for the rows shown only."""
    if not items:
        return
    con = store.con
    ids = [i.person_id for i in items]
    names = {r[0]: r[1:] for r in con.execute("""
        SELECT p.person_id, p.label, p.display_name FROM people p WHERE p.person_id IN (SELECT unnest($ids))""",
        {"ids": ids}).fetchall()}
    account_filter = "AND s.account = $account" if account is not None else ""
    params: dict[str, Any] = {"ids": ids, "t": t_now}
    if account is not None:
        params["account"] = account
    main = {r[0]: r[1:] for r in con.execute(f"""
        SELECT d.person_id, arg_max(s.platform, (s.last_contact, s.score)), arg_max(s.account, (s.last_contact, s.score)),
               arg_max(s.person, (s.last_contact, s.score)), arg_max(d.username, (s.last_contact, s.score))
        FROM ({scores_sql(store, t_now, "connection")}) s
        JOIN identities d ON d.platform = s.platform AND d.handle = s.person
        WHERE s.as_of = $t AND d.person_id IN (SELECT unnest($ids)) {account_filter}
        GROUP BY 1""", params).fetchall()}
    person_level = {r[0]: r[1:] for r in con.execute(
        f"SELECT person_id, score, tier FROM ({scores_sql(store, t_now)}) "
        "WHERE as_of = $t AND person_id IN (SELECT unnest($ids))",
        {"ids": ids, "t": t_now}).fetchall()}
    usernames = {(r[0], r[1]): r[2] for r in con.execute(
        "SELECT platform, handle, username FROM identities WHERE person_id IN (SELECT unnest($ids))",
        {"ids": ids}).fetchall()}
    for item in items:
        label, display = names.get(item.person_id, (None, None))
        if item.reason != "unanswered" and item.person_id in main:
            item.platform, item.account, item.person, _ = main[item.person_id]
        if not item.person:
            item.person = label or f"#{item.person_id}"
        username = usernames.get((item.platform, item.person))
        item.name = display or (f"@{username}" if username else label)
        if item.score is None and item.person_id in person_level:
            score, tier = person_level[item.person_id]
            item.score, item.tier = round(score, 1), tier
