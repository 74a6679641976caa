"""Benchmark: importing a 50,000-tweet X archive end to end.

    python bench/bench_x_archive.py [--tweets 50000] [--zip] [--keep DIR]

Writes a synthetic archive in Twitter's own layout (data/account.js, manifest.js, tweets.js with
posts, replies, mentions, reposts and quotes, direct-messages.js, direct-messages-group.js,
like.js, follower.js, following.js) into a temporary folder, imports it with
``tiescale.ingest_path`` into a fresh store, and prints rows read, rows/second, total seconds and
the process's peak RSS (``resource.getrusage``; generation streams its output, so the peak is the
import's). ``--zip`` imports the archive zipped instead of as a folder.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Iterator

OWNER_ID, OWNER_NAME = "1200000001", "benchbrand"
START = datetime(2016, 1, 1, tzinfo=timezone.utc)
WORDS = ("coffee latte beans roast harbour morning thanks great event market weekend new menu "
         "cupping order delivery oat milk pastry friday see you soon love this &amp; more").split()


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", " : "))


def _write_ytd(path: Path, name: str, items: Iterable[Any]) -> int:
    """Stream ``window.YTD.<name>.part0 = [ ... ]`` one item at a time; returns the item count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"window.YTD.{name}.part0 = [")
        for item in items:
            out.write(("," if n else "") + "\n  " + _dump(item))
            n += 1
        out.write("\n]")
    return n


class Gen:
    def __init__(self, tweets: int, seed: int = 42) -> None:
        self.rnd = random.Random(seed)
        self.tweets = tweets
        self.people = [(str(3_000_000_000 + i), f"user_{i:05d}", f"Person {i}") for i in range(max(500, tweets // 10))]
        self.replied_statuses: list[tuple[str, str]] = []  # (status id, author screen name)

    def person(self) -> tuple[str, str, str]:
        # Heavy-tailed: a few people get most of the attention.
        return self.people[min(int(self.rnd.paretovariate(1.2)) - 1, len(self.people) - 1)]

    def text(self, n: int = 12) -> str:
        return " ".join(self.rnd.choice(WORDS) for _ in range(n))

    def ts(self, i: int, total: int) -> datetime:
        return START + timedelta(seconds=int((total - i) * (7 * 365 * 86400 / total)))

    def tweet(self, i: int) -> dict[str, Any]:
        tid = str(1_600_000_000_000_000_000 + self.tweets - i)
        created = self.ts(i, self.tweets).strftime("%a %b %d %H:%M:%S +0000 %Y")
        roll = self.rnd.random()
        mentions, urls, extra = [], [], {}
        text = self.text()
        if roll < 0.05:  # repost
            pid, sn, name = self.person()
            text = f"RT @{sn}: {self.text()}"
            mentions = [self._mention(pid, sn, name, 3)]
        elif roll < 0.50:  # reply, sometimes to several people
            pid, sn, name = self.person()
            status = str(1_500_000_000_000_000_000 + i)
            self.replied_statuses.append((status, sn))
            others = [self.person() for _ in range(self.rnd.choice((0, 0, 0, 1, 2)))]
            text = " ".join("@" + p[1] for p in [(pid, sn, name)] + others) + " " + text
            mentions = [self._mention(*p, 0) for p in [(pid, sn, name)] + others]
            extra = {"in_reply_to_status_id_str": status, "in_reply_to_status_id": status,
                     "in_reply_to_user_id_str": pid, "in_reply_to_user_id": pid, "in_reply_to_screen_name": sn}
        elif roll < 0.55:  # quote
            _, sn, _ = self.person()
            short = f"https://t.co/q{i:08d}"
            text = f"{text} {short}"
            urls = [{"url": short, "expanded_url": f"https://twitter.com/{sn}/status/{1_400_000_000_000_000_000 + i}",
                     "display_url": f"twitter.com/{sn}/status/…", "indices": ["0", "23"]}]
        elif roll < 0.75:  # mentions
            mentioned = [self.person() for _ in range(self.rnd.randint(1, 3))]
            text = text + " " + " ".join("@" + p[1] for p in mentioned)
            mentions = [self._mention(*p, 0) for p in mentioned]
        tweet = {
            "edit_info": {"initial": {"editTweetIds": [tid], "editableUntil": created, "editsRemaining": "5",
                                      "isEditEligible": False}},
            "retweeted": False, "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
            "entities": {"hashtags": [], "symbols": [], "user_mentions": mentions, "urls": urls},
            "display_text_range": ["0", str(len(text))], "favorite_count": str(self.rnd.randint(0, 40)),
            "id_str": tid, "truncated": False, "retweet_count": str(self.rnd.randint(0, 8)), "id": tid,
            "created_at": created, "favorited": False, "full_text": text, "lang": "en", **extra,
        }
        return {"tweet": tweet}

    @staticmethod
    def _mention(pid: str, sn: str, name: str, at: int) -> dict[str, Any]:
        return {"name": name, "screen_name": sn, "indices": [str(at), str(at + len(sn) + 1)], "id_str": pid, "id": pid}

    def tweets_items(self) -> Iterator[dict[str, Any]]:
        for i in range(self.tweets):
            yield self.tweet(i)

    def conversations(self, n: int, per: int) -> Iterator[dict[str, Any]]:
        for c in range(n):
            pid = self.people[c % len(self.people)][0]
            messages = []
            for m in range(per):
                mine = self.rnd.random() < 0.45
                created = self.ts(c * per + m, n * per).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                messages.append({"messageCreate": {
                    "recipientId": pid if mine else OWNER_ID, "reactions": [], "urls": [], "text": self.text(8),
                    "mediaUrls": [], "senderId": OWNER_ID if mine else pid, "id": f"17{c:06d}{m:05d}",
                    "createdAt": created}})
            yield {"dmConversation": {"conversationId": f"{OWNER_ID}-{pid}", "messages": messages}}

    def groups(self, n: int, per: int) -> Iterator[dict[str, Any]]:
        for g in range(n):
            members = [self.people[(g * 7 + k) % len(self.people)][0] for k in range(5)]
            messages: list[dict[str, Any]] = []
            for m in range(per):
                sender = OWNER_ID if m % 3 == 0 else members[m % 5]
                messages.append({"messageCreate": {"reactions": [], "urls": [], "text": self.text(6), "mediaUrls": [],
                                                   "senderId": sender, "id": f"18{g:05d}{m:05d}",
                                                   "createdAt": self.ts(m, per).strftime("%Y-%m-%dT%H:%M:%S.000Z")}})
            messages.append({"joinConversation": {"initiatingUserId": members[0],
                                                  "participantsSnapshot": members + [OWNER_ID],
                                                  "createdAt": "2016-01-01T00:00:00.000Z"}})
            yield {"dmConversation": {"conversationId": f"19{g:08d}", "messages": messages}}

    def likes(self, n: int) -> Iterator[dict[str, Any]]:
        for i in range(n):
            if i % 2 == 0 and self.replied_statuses:  # a tweet we also replied to: the author is known
                status, _ = self.replied_statuses[self.rnd.randrange(len(self.replied_statuses))]
                url = f"https://twitter.com/i/web/status/{status}"
            elif i % 4 == 1:  # the author's @name in the URL
                status, url = str(1_300_000_000_000_000_000 + i), ""
                url = f"https://twitter.com/{self.person()[1]}/status/{status}"
            else:  # unknown author: rejected and reported
                status = str(1_300_000_000_000_000_000 + i)
                url = f"https://twitter.com/i/web/status/{status}"
            yield {"like": {"tweetId": status, "fullText": self.text(10), "expandedUrl": url}}

    def follows(self, relation: str, n: int) -> Iterator[dict[str, Any]]:
        for pid, _, _ in self.rnd.sample(self.people, min(n, len(self.people))):
            yield {relation: {"accountId": pid, "userLink": f"https://twitter.com/intent/user?user_id={pid}"}}


def generate(root: Path, tweets: int) -> dict[str, int]:
    gen = Gen(tweets)
    data = root / "data"
    counts = {"tweets": _write_ytd(data / "tweets.js", "tweets", gen.tweets_items())}
    counts["dm conversations"] = _write_ytd(data / "direct-messages.js", "direct_messages",
                                            gen.conversations(max(10, tweets // 100), 10))
    counts["dm groups"] = _write_ytd(data / "direct-messages-group.js", "direct_messages_group", gen.groups(20, 30))
    counts["likes"] = _write_ytd(data / "like.js", "like", gen.likes(tweets // 10))
    counts["followers"] = _write_ytd(data / "follower.js", "follower", gen.follows("follower", tweets // 10))
    counts["following"] = _write_ytd(data / "following.js", "following", gen.follows("following", tweets // 50))
    _write_ytd(data / "account.js", "account", [{"account": {
        "username": OWNER_NAME, "accountId": OWNER_ID, "createdAt": "2015-01-01T00:00:00.000Z",
        "accountDisplayName": "Bench Brand", "createdVia": "web"}}])
    manifest = {"userInfo": {"accountId": OWNER_ID, "userName": OWNER_NAME, "displayName": "Bench Brand"},
                "archiveInfo": {"generationDate": "2023-09-01T10:00:00.000Z", "isPartialArchive": False}}
    (data / "manifest.js").write_text("window.__THAR_CONFIG = " + json.dumps(manifest, indent=2), encoding="utf-8")
    return counts


def zip_folder(src: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(src).as_posix())
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=50_000)
    parser.add_argument("--zip", action="store_true", help="import the archive as a zip")
    parser.add_argument("--keep", type=Path, default=None, help="write the archive and store here and keep them")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from tiescale import Store, ingest_path

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        archive = work / "twitter-archive"
        counts = generate(archive, args.tweets)
        size = sum(p.stat().st_size for p in archive.rglob("*") if p.is_file())
        if args.zip:
            archive = zip_folder(archive, work / "twitter-archive.zip")
        print(f"generated in {time.perf_counter() - started:.1f} s: {size / 1e6:.1f} MB, "
              + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        with Store(work / "bench.duckdb") as store:
            started = time.perf_counter()
            summary = ingest_path(store, archive)
            seconds = time.perf_counter() - started
            posts = (store.con.execute("SELECT count(*) FROM posts").fetchone() or (0,))[0]
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(f"import ({'zip' if args.zip else 'folder'}): status {summary.status}, {summary.rows_read:,} rows read "
              f"({posts:,} posts, {summary.total_new:,} new interactions {summary.new_interactions}, "
              f"{summary.rejected:,} rejected, {summary.new_people:,} people)")
        print(f"rows/second: {summary.rows_read / seconds:,.0f}")
        print(f"total seconds: {seconds:.2f}")
        print(f"peak RSS: {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
