"""Forgetting a person removes them from every table, whatever capability wrote it.

The check is generic: after `forget`, no text column of any table in the store holds their handle,
name or e-mail, and no person-id column holds their id. A table added later is covered without
changing this test.
"""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tiescale import Store, forget_person, ingest_path
from tiescale.store.identity import find_person
from tiescale.surfaces.cli import main

HANDLE = "zed_private_handle"
NAME = "Zedediah Secretname"
EMAIL = "zed.private@example.org"

EVENTS = f"""ts,account,person,direction,kind,platform,id,text,in_reply_to,thread
2026-03-01T10:00:00+00:00,brand,{HANDLE},in,dm,x,d1,hello {NAME} here: is the shop open?,,c1
2026-03-01T11:00:00+00:00,brand,{HANDLE},out,dm,x,d2,yes it is,d1,c1
2026-03-05T09:00:00+00:00,brand,{HANDLE},in,reply,x,r1,thanks a lot! love it,p1,p1
2026-03-20T09:00:00+00:00,brand,{HANDLE},in,mention,x,m1,@brand where is my order??,,m1
2026-03-02T09:00:00+00:00,brand,someone_else,in,reply,x,r2,nice post,p1,p1
2026-03-02T10:00:00+00:00,brand,someone_else,out,reply,x,r3,thank you,r2,p1
"""
CONVERSIONS = f"""order_id,ts,value,currency,email,platform,handle
o1,2026-03-10T12:00:00+00:00,42.50,USD,{EMAIL},x,{HANDLE}
o2,2026-03-11T12:00:00+00:00,10.00,USD,other@example.org,x,someone_else
"""


def _hits(store: Store, person_id: int) -> list[str]:
    con = store.con
    found = []
    columns = con.execute("""SELECT table_name, column_name, data_type FROM information_schema.columns
                             WHERE table_schema = 'main'""").fetchall()
    for table, column, data_type in columns:
        if data_type == "VARCHAR":
            n = con.execute(
                f'SELECT count(*) FROM "{table}" WHERE contains(lower("{column}"), ?) OR contains("{column}", ?) '
                f'OR contains(lower("{column}"), ?)', [HANDLE, NAME, EMAIL]).fetchone()[0]
        elif column in ("person_id", "person_ref", "into_person", "from_person") and data_type in ("BIGINT", "INTEGER"):
            n = con.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" = ?', [person_id]).fetchone()[0]
        else:
            continue
        if n:
            found.append(f"{table}.{column}: {n}")
    return found


def test_forget_leaves_no_trace_in_any_table(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    orders = tmp_path / "orders.csv"
    orders.write_text(CONVERSIONS)
    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    with Store(db) as store:
        ingest_path(store, events)
        ingest_path(store, orders, fmt="conversions")
        store.con.execute("UPDATE identities SET display_name = ?, email = ? WHERE handle = ?", [NAME, EMAIL, HANDLE])
    # every capability that keeps per-person rows gets to write them, through the CLI as a user would
    for args in (["score", "--as-of", "2026-03-15"], ["score"], ["queue", "--format", "json", "--limit", "0"],
                 ["done", f"x:{HANDLE}", "--note", f"wrote back to {NAME}"], ["snooze", "x:someone_else", "--days", "3"],
                 ["responsiveness", "--format", "json"], ["revenue", "--format", "json"], ["content", "--format", "json"],
                 ["people", "--format", "json", "--limit", "0"]):
        result = runner.invoke(main, ["--db", str(db), *args])
        assert result.exit_code == 0, (args, result.output)
    with Store(db) as store:
        person_id = find_person(store.con, f"x:{HANDLE}")
        assert len(_hits(store, person_id)) >= 5  # they are in many places before
        their_connections = [r[0] for r in store.con.execute(
            "SELECT connection_id FROM connections WHERE person = ?", [HANDLE]).fetchall()]
        assert their_connections and store.con.execute(  # their score history is kept as change rows
            "SELECT count(*) FROM connection_history_all WHERE connection_id IN (SELECT unnest(?))",
            [their_connections]).fetchone()[0] > 0
        forget_person(store.con, f"x:{HANDLE}")
        left = _hits(store, person_id)
        assert left == [], "\n".join(left)
        assert store.con.execute("SELECT count(*) FROM connection_history_all WHERE connection_id IN (SELECT unnest(?))",
                                 [their_connections]).fetchone()[0] == 0
        # the rest is still there
        assert store.con.execute("SELECT count(*) FROM interactions WHERE handle = 'someone_else'").fetchone()[0] == 2
    # and a re-import does not bring them back
    with Store(db) as store:
        ingest_path(store, events.with_name("events.csv"))
        assert _hits(store, person_id) == []
