"""Check the answer verdicts and the response figures on real conversations.

    python bench/check_responsiveness.py [--data ../shared/data] [--out bench/out/check] [--sample 50] [--seed 4]

1. twcs (customer support on Twitter, first 5,001 rows): converted to canonical events and
   imported with ``ingest_path`` into a fresh store:
   - a customer tweet (inbound=True) is an inbound ``reply`` (it answers a tweet) or ``mention`` of the
     brand it addresses: the author of the tweet it answers when that is a brand, else the brand
     among the authors of its responses, else its first @handle when that is a brand (otherwise it
     is counted as "no brand" and left out);
   - a brand tweet answering a tweet is an outbound ``reply`` to the author of the tweet it answers
     (else its first numeric @handle); broadcasts (answering nothing) are left out;
   - ``id`` = tweet_id, ``in_reply_to`` = in_response_to_tweet_id, ``thread`` = the root of the
     reply chain inside the sample.
   Then ``responsiveness(by="all")`` per brand, and a seeded sample of ``--sample`` "unanswered" and
   ``--sample`` "answered" verdicts from tiescale, each checked against the RAW CSV rows by code that
   shares nothing with tiescale: the tweet's own ``response_tweet_id`` list and, following those ids
   through the sample, every later tweet of the reply chain below it. Raw truths:
   - direct: a brand tweet is among its response ids;
   - chain: a brand tweet is somewhere below it in the reply chain;
   - to_them: a later brand tweet under the same root that answers a tweet by this customer
     (tiescale's rule restricted to the conversation, recomputed from the raw rows);
   - outside: some response id is not in the 5,001-row sample (its author is unknown here).
   Agreement is reported against each; "agree" in the listing is against to_them.
   Each sampled row is printed (ids, authors, times, response ids; never the tweet text).
2. The X archive sample: imported with the x-archive importer; for inbound DMs, the same sample
   checked against the raw ``direct-messages.js``: a later message by the owner in the same
   conversation (the archive holds the account's DMs both ways; it holds no inbound public tweets).
3. The Mastodon sample: imported; its export holds only what the account sent (outbox), so there
   is no inbound message to answer and responsiveness is empty, which the script shows.
Writes ``--out/check_responsiveness.json``.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
import sys
from collections import defaultdict
from datetime import datetime, UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from tiescale.insights.responsiveness import responsiveness  # noqa: E402
from tiescale.store.db import Store  # noqa: E402
from tiescale.store.ingest import ingest_path  # noqa: E402
from validate_scale import read_twcs_records  # noqa: E402

TWCS = "interactions/twcs-customer-support/twcs_head_sample_monalisapatra26.csv"


# -- twcs ---------------------------------------------------------------------------------------
def read_twcs(path: Path) -> list[dict[str, str]]:
    """The raw rows, as validate_scale.py reads them (a record broken by a line break joined back)."""
    names, records, _repaired = read_twcs_records(path)
    return [dict(zip(names, record)) for record in records]


def _ts(raw: str) -> datetime:
    return datetime.strptime(raw, "%a %b %d %H:%M:%S %z %Y")


def _ids(raw: str) -> list[str]:
    return [x.strip() for x in raw.split(",") if x.strip()]


def _irt(raw: str) -> str | None:
    return str(int(float(raw))) if raw.strip() else None


def twcs_events(rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], dict[str, int]]:
    by_id = {r["tweet_id"]: r for r in rows}
    brands = {r["author_id"] for r in rows if r["inbound"] == "False"}
    skipped = defaultdict(int)

    def root(tweet_id: str) -> str:
        seen = set()
        while True:
            parent = _irt(by_id[tweet_id]["in_response_to_tweet_id"])
            if parent is None or parent not in by_id or parent in seen:
                return tweet_id
            seen.add(tweet_id)
            tweet_id = parent

    events = []
    for r in rows:
        parent = _irt(r["in_response_to_tweet_id"])
        ts = _ts(r["created_at"]).isoformat()
        common = {"ts": ts, "platform": "x", "id": r["tweet_id"], "text": r["text"], "in_reply_to": parent or "",
                  "thread": root(r["tweet_id"])}
        if r["inbound"] == "True":
            brand = None
            if parent in by_id and by_id[parent]["author_id"] in brands:
                brand = by_id[parent]["author_id"]
            if brand is None:
                responders = [by_id[x]["author_id"] for x in _ids(r["response_tweet_id"]) if x in by_id]
                brand = next((a for a in responders if a in brands), None)
            if brand is None:
                first = re.match(r"\s*@(\w+)", r["text"])
                brand = first.group(1) if first and first.group(1) in brands else None
            if brand is None:
                skipped["customer tweet addressing no brand of the sample"] += 1
                continue
            events.append({**common, "account": brand, "person": r["author_id"], "direction": "in",
                           "kind": "reply" if parent else "mention"})
        else:
            if parent is None:
                skipped["brand broadcast (answers nothing)"] += 1
                continue
            person = by_id[parent]["author_id"] if parent in by_id else None
            if person is None or person in brands:
                numeric = re.search(r"@(\d+)\b", r["text"])
                person = numeric.group(1) if numeric else None
            if person is None:
                skipped["brand reply to no known customer"] += 1
                continue
            events.append({**common, "account": r["author_id"], "person": person, "direction": "out",
                           "kind": "reply"})
    return events, dict(skipped)


def raw_truth(tweet_id: str, by_id: dict[str, dict[str, str]], brands: set[str]) -> dict[str, object]:
    """What the raw rows say about one customer tweet, without tiescale."""
    row = by_id[tweet_id]
    direct = _ids(row["response_tweet_id"])
    inside = [x for x in direct if x in by_id]
    direct_brand = [x for x in inside if by_id[x]["author_id"] in brands]
    chain, queue, seen = [], list(inside), set()
    while queue:
        x = queue.pop()
        if x in seen:
            continue
        seen.add(x)
        if by_id[x]["author_id"] in brands:
            chain.append(x)
        queue += [y for y in _ids(by_id[x]["response_tweet_id"]) if y in by_id]
    first_brand = min((_ts(by_id[x]["created_at"]) for x in chain), default=None)
    # to them in the conversation: a later brand tweet, anywhere under the same root, that answers a
    # tweet by this customer
    customer, when, top = row["author_id"], _ts(row["created_at"]), _root(tweet_id, by_id)
    to_them = [b for b in by_id.values() if b["author_id"] in brands and _ts(b["created_at"]) > when
               and _irt(b["in_response_to_tweet_id"]) in by_id
               and by_id[_irt(b["in_response_to_tweet_id"])]["author_id"] == customer
               and _root(b["tweet_id"], by_id) == top]
    return {"direct": bool(direct_brand), "chain": bool(chain), "outside": len(direct) - len(inside),
            "to_them": bool(to_them), "first_brand_answer": first_brand,
            "first_to_them": min((_ts(b["created_at"]) for b in to_them), default=None), "responses": direct}


def _root(tweet_id: str, by_id: dict[str, dict[str, str]]) -> str:
    seen = set()
    while True:
        parent = _irt(by_id[tweet_id]["in_response_to_tweet_id"])
        if parent is None or parent not in by_id or parent in seen:
            return tweet_id
        seen.add(tweet_id)
        tweet_id = parent


def check_twcs(data: Path, out: Path, n: int, seed: int) -> dict:
    rows = read_twcs(data / TWCS)
    events, skipped = twcs_events(rows)
    events_path = out / "twcs_events.csv"
    with open(events_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["ts", "account", "person", "direction", "kind", "platform", "id",
                                                    "text", "in_reply_to", "thread"])
        writer.writeheader()
        writer.writerows(events)
    db = out / "twcs.duckdb"
    db.unlink(missing_ok=True)
    with Store(db) as store:
        summary = ingest_path(store, events_path, fmt="events")
        brands_rows = responsiveness(store, by="all")
        verdicts = store.con.execute(
            "SELECT item_id, person, account, ts, answered_at, answer_how FROM answer_messages ORDER BY item_id"
        ).fetchall()
    print(f"\ntwcs: {len(rows):,} raw rows -> {len(events):,} events imported ({summary.total_new:,} new, "
          f"{summary.rejected} rejected); left out: {skipped}")
    print(f"{'brand':<18}{'messages':>9}{'answered':>9}{'rate':>7}{'median h':>10}{'p90 h':>8}{'<=1h':>6}{'<=24h':>7}")
    per_brand = []
    for r in sorted(brands_rows, key=lambda r: -r.messages):
        print(f"{r.account:<18}{r.messages:>9}{r.answered:>9}{r.response_rate:>7.0%}"
              f"{(r.median_hours if r.median_hours is not None else float('nan')):>10.2f}"
              f"{(r.p90_hours if r.p90_hours is not None else float('nan')):>8.2f}{r.within_1h:>6.0%}{r.within_24h:>7.0%}")
        per_brand.append(r.to_dict())
    by_id = {r["tweet_id"]: r for r in rows}
    brands = {r["author_id"] for r in rows if r["inbound"] == "False"}
    rng = random.Random(seed)
    answered = [v for v in verdicts if v[4] is not None]
    unanswered = [v for v in verdicts if v[4] is None]
    sample = rng.sample(unanswered, min(n, len(unanswered))) + rng.sample(answered, min(n, len(answered)))
    tally: dict[str, dict[str, int]] = {"unanswered": defaultdict(int), "answered": defaultdict(int)}
    print("\nsampled verdicts against the raw rows (no tweet text printed):")
    print("verdict     tweet_id  customer  brand            created (UTC)        response_tweet_id        "
          "raw: direct chain to_them outside  agree")
    for item_id, person, account, ts, answered_at, how in sample:
        verdict = "answered" if answered_at else "unanswered"
        truth = raw_truth(item_id, by_id, brands)
        agree = truth["to_them"] == (verdict == "answered")
        time_ok = None
        if verdict == "answered" and truth["first_to_them"] is not None:
            time_ok = abs((truth["first_to_them"] - answered_at).total_seconds()) < 1
        t = tally[verdict]
        t["n"] += 1
        t["agree_to_them_in_conversation"] += agree
        t["agree_chain"] += truth["chain"] == (verdict == "answered")
        t["agree_direct"] += truth["direct"] == (verdict == "answered")
        t["outside_sample"] += truth["outside"] > 0
        t["disagree_explained_by_outside"] += (not agree) and truth["outside"] > 0
        if time_ok is not None:
            t["answer_time_checked"] += 1
            t["answer_time_equal"] += time_ok
        print(f"{verdict:<11}{item_id:>9}  {person:>8}  {account:<16} {ts.astimezone(UTC):%Y-%m-%d %H:%M:%S}  "
              f"{','.join(truth['responses'])[:22]:<24} {str(truth['direct']):<6} {str(truth['chain']):<5} "
              f"{str(truth['to_them']):<7} {truth['outside']:<8} {'yes' if agree else 'NO'}" + (f"  ({how})" if how else ""))
    for verdict, t in tally.items():
        print(f"{verdict}: {t['agree_to_them_in_conversation']}/{t['n']} agree with 'a later brand tweet answering "
              f"one of this customer's tweets in the same conversation' (tiescale's rule, recomputed from the raw rows), "
              f"{t['agree_chain']}/{t['n']} with 'a brand tweet below it in the reply chain', {t['agree_direct']}/{t['n']} "
              f"with 'a brand tweet among its direct responses'; {t['outside_sample']} have a response outside the sample; "
              f"disagreements explained by a response outside the sample: {t['disagree_explained_by_outside']}"
              + (f"; answer time equals that brand tweet's time: {t['answer_time_equal']}/"
                 f"{t['answer_time_checked']}" if t.get("answer_time_checked") else ""))
    return {"events": len(events), "skipped": skipped, "messages": len(verdicts), "per_brand": per_brand,
            "check": {k: dict(v) for k, v in tally.items()}}


# -- X archive and Mastodon ----------------------------------------------------------------------
def load_js(path: Path) -> object:
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1:])


def check_x(data: Path, out: Path, n: int, seed: int) -> dict:
    folder = data / "exports" / "x-archive"
    db = out / "x.duckdb"
    db.unlink(missing_ok=True)
    with Store(db) as store:
        ingest_path(store, folder, fmt="x-archive")
        rows = responsiveness(store, by="all")
        verdicts = store.con.execute(
            "SELECT item_id, thread, ts, answered_at, answer_how, kind FROM answer_messages "
            "ORDER BY ts, item_id").fetchall()  # a fixed order: the seeded sample is the same every run
        owner = store.con.execute("SELECT handle FROM accounts WHERE platform = 'x'").fetchone()[0]
    print(f"\nX archive ({owner}): inbound messages by kind: "
          + ", ".join(f"{k} {sum(1 for v in verdicts if v[5] == k)}" for k in sorted({v[5] for v in verdicts})))
    for r in rows:
        print(f"  {r.platform} {r.account}: {r.messages} messages, {r.answered} answered ({r.response_rate:.0%}), "
              f"median {r.median_hours} h, p90 {r.p90_hours} h, within 1 h {r.within_1h:.0%}, 24 h {r.within_24h:.0%}")
    # raw: every DM (1:1 and group) by conversation, with sender and time
    raw: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    for name in ("direct-messages.js", "direct-messages-group.js"):
        path = folder / "data" / name
        if not path.exists():
            continue
        for item in load_js(path):  # type: ignore[union-attr]
            conv = item["dmConversation"]
            for message in conv["messages"]:
                create = message.get("messageCreate")
                if create:
                    when = datetime.fromisoformat(create["createdAt"].replace("Z", "+00:00"))
                    raw[conv["conversationId"]].append((when, create["senderId"], create["id"]))
    rng = random.Random(seed)
    dms = [v for v in verdicts if v[5] == "dm"]
    answered = [v for v in dms if v[3] is not None]
    unanswered = [v for v in dms if v[3] is None]
    sample = rng.sample(unanswered, min(n, len(unanswered))) + rng.sample(answered, min(n, len(answered)))
    tally: dict[str, dict[str, int]] = {"unanswered": defaultdict(int), "answered": defaultdict(int)}
    print("sampled DM verdicts against direct-messages*.js (no text printed):")
    for item_id, thread, ts, answered_at, how, _ in sample:
        verdict = "answered" if answered_at else "unanswered"
        later = sorted(t for t, sender, _ in raw.get(thread, []) if sender == owner and t > ts)
        within_week = [t for t in later if (t - ts).total_seconds() <= 7 * 86400]
        agree = bool(later) == (verdict == "answered")
        tally[verdict]["n"] += 1
        tally[verdict]["agree_any_later_owner_message"] += agree
        tally[verdict]["agree_same_conversation"] += bool(later) == (verdict == "answered" and how != "on x" and
                                                                      how is not None)
        tally[verdict]["owner_message_within_7_days"] += bool(within_week)
        print(f"  {verdict:<11} {item_id:>20} conv {thread:<24} {ts.astimezone(UTC):%Y-%m-%d %H:%M} "
              f"owner writes later in it: {len(later):>3}, first {later[0]:%Y-%m-%d %H:%M}" if later else
              f"  {verdict:<11} {item_id:>20} conv {thread:<24} {ts.astimezone(UTC):%Y-%m-%d %H:%M} "
              f"owner writes later in it:   0", f"{'yes' if agree else 'NO'}")
    for verdict, t in tally.items():
        print(f"X {verdict}: {t['agree_any_later_owner_message']}/{t['n']} agree with 'the owner wrote later in that "
              f"conversation'")
    return {"per_account": [r.to_dict() for r in rows], "check": {k: dict(v) for k, v in tally.items()}}


def check_mastodon(data: Path, out: Path) -> dict:
    db = out / "mastodon.duckdb"
    db.unlink(missing_ok=True)
    with Store(db) as store:
        summary = ingest_path(store, data / "exports" / "mastodon", fmt="mastodon")
        rows = responsiveness(store, by="all")
        kinds = store.con.execute("SELECT direction, count(*) FROM interactions GROUP BY 1 ORDER BY 1").fetchall()
    print(f"\nMastodon export: {summary.total_new:,} interactions imported, by direction {kinds}; "
          f"inbound messages to answer: {sum(r.messages for r in rows)} (the export holds only what the account sent)")
    return {"interactions_by_direction": kinds, "responsiveness_rows": [r.to_dict() for r in rows]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "check")
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"{args.data}: no shared data folder")
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    report = {"twcs": check_twcs(args.data, args.out, args.sample, args.seed),
              "x": check_x(args.data, args.out, args.sample, args.seed),
              "mastodon": check_mastodon(args.data, args.out)}
    (args.out / "check_responsiveness.json").write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
