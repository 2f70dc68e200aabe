"""Two real ``yinhu serve`` processes on 127.0.0.1 federating over real sockets.

B's feed actor follows A's community with the CLI; B's server delivers the Follow, A's answers
with an Accept; A publishes a note that B stores; A deletes it and B tombstones its copy.
The second test checks that queued work survives a server being down: a note published while
A's server is stopped goes out when it comes back, and a delivery that failed because B was
down is kept, scheduled for a retry, and succeeds once B is back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

NOTE = {"type": "note", "content": "本周六下午两点 #读书会 见！", "language": "zh"}
AP = "application/activity+json"


def _setup(make_instance: Callable[[str], Any], tmp_path: Path) -> tuple[Any, Any, Path]:
    a = make_instance("a")
    b = make_instance("b")
    out = a.cli("community", "create", "reading-club", "--name", "银湖读书会")
    assert f"@reading-club@{a.host}" in out.stdout
    note = tmp_path / "note.json"
    note.write_text(json.dumps(NOTE, ensure_ascii=False), encoding="utf-8")
    return a, b, note


def _follow(a: Any, b: Any, poll: Any) -> None:
    out = b.cli("follow", f"@reading-club@{a.host}")
    assert f"{a.url}/c/reading-club" in out.stdout
    poll(
        lambda: f"accepted\t{a.url}/c/reading-club" in b.cli("following").stdout,
        "B's feed actor to see its Follow of A's community accepted",
    )
    followers = a.cli("followers", "reading-club").stdout
    assert f"accepted\t{b.url}/c/yinhu" in followers, followers


def _received(b: Any, uri: str) -> list[tuple[str, str | None]]:
    return b.query("SELECT uri, deleted_at FROM objects WHERE uri = ? AND local = 0", (uri,))


def test_follow_publish_delete_between_two_servers(make_instance: Callable[[str], Any], tmp_path: Path, poll: Any) -> None:
    a, b, note = _setup(make_instance, tmp_path)
    a.start()
    b.start()

    # Discovery on A answers over the real socket.
    wf = httpx.get(f"{a.url}/.well-known/webfinger", params={"resource": f"acct:reading-club@{a.host}"}, timeout=5)
    assert wf.status_code == 200
    assert any(link.get("href") == f"{a.url}/c/reading-club" for link in wf.json()["links"])

    _follow(a, b, poll)

    out = a.cli("publish", "reading-club", str(note))
    assert "queued for 1 inbox(es)" in out.stdout, out.stdout
    url = out.stdout.strip().splitlines()[-1]
    assert url.startswith(f"{a.url}/o/")

    # A serves the object as ActivityStreams JSON with id equal to the URL fetched.
    doc = httpx.get(url, headers={"Accept": AP}, timeout=5)
    assert doc.status_code == 200
    body = doc.json()
    assert body["id"] == url
    assert body["type"] == "Note"
    assert body["attributedTo"] == f"{a.url}/c/reading-club"
    assert "本周六下午两点" in body["content"]

    rows = poll(lambda: _received(b, url), "B to store the published note")
    assert rows == [(url, None)]
    stored = b.query("SELECT content, language FROM objects WHERE uri = ?", (url,))
    assert "本周六下午两点" in stored[0][0] and stored[0][1] == "zh"
    # The inbox item is marked done, and A records its deliveries, just after; poll for both.
    poll(
        lambda: b.query("SELECT state FROM inbox_items WHERE activity_type = 'Create'") == [("done",)],
        "B's inbox worker to mark the Create done",
    )
    poll(
        lambda: a.query("SELECT state, last_status FROM deliveries ORDER BY id") == [("sent", 202), ("sent", 202)],
        "A to record the Accept and the Create as delivered",
    )

    # Delete propagates: A's URL answers 410, B tombstones its copy.
    out = a.cli("delete", url)
    assert out.stdout.strip().splitlines()[-1] == url
    assert httpx.get(url, headers={"Accept": AP}, timeout=5).status_code == 410
    assert httpx.get(url, timeout=5).status_code == 410
    poll(lambda: _received(b, url)[0][1] is not None, "B to mark its copy deleted")

    # Deleting twice is a user error, one line on stderr.
    again = a.cli("delete", url, check=False)
    assert again.returncode == 1
    assert again.stderr.startswith("yinhu: error:") and len(again.stderr.strip().splitlines()) == 1


def test_queued_work_survives_a_server_being_down(make_instance: Callable[[str], Any], tmp_path: Path, poll: Any) -> None:
    a, b, note = _setup(make_instance, tmp_path)
    a.start()
    b.start()
    _follow(a, b, poll)

    # 1. A's server is down while the CLI publishes: the delivery row waits in A's database
    #    and A's worker sends it when the server comes back.
    a.stop()
    url1 = a.cli("publish", "reading-club", str(note)).stdout.strip().splitlines()[-1]
    pending = a.query(
        "SELECT d.state, d.attempts FROM deliveries d JOIN activities act ON act.id = d.activity_id "
        "WHERE act.object_uri = ?",
        (url1,),
    )
    assert pending == [("pending", 0)]
    a.start()
    poll(lambda: _received(b, url1), "B to receive the note queued while A was down")

    # 2. B's server is down when A delivers: A records the failure and schedules a retry
    #    (30 s at first); nothing is lost.
    b.stop()
    url2 = a.cli("publish", "reading-club", str(note)).stdout.strip().splitlines()[-1]
    delivery_sql = (
        "SELECT d.id, d.state, d.attempts, d.last_error, d.next_try_at, d.created_at FROM deliveries d "
        "JOIN activities act ON act.id = d.activity_id WHERE act.object_uri = ?"
    )
    row = poll(
        lambda: [r for r in a.query(delivery_sql, (url2,)) if r[2] >= 1],
        "A to record a failed attempt at B's inbox",
    )[0]
    delivery_id, state, attempts, last_error, next_try_at, created_at = row
    assert state == "pending" and attempts == 1 and last_error, row
    assert next_try_at > created_at, row

    # Restart both. The retry backoff (30 s, doubling) is too slow for a test, so instead of
    # sleeping we move the row's next_try_at into the past, as time passing would.
    a.stop()
    b.start()
    a.start()
    assert a.query("SELECT state, attempts FROM deliveries WHERE id = ?", (delivery_id,)) == [("pending", 1)]
    a.execute("UPDATE deliveries SET next_try_at = '2000-01-01 00:00:00.000000' WHERE id = ?", (delivery_id,))
    poll(lambda: _received(b, url2), "B to receive the note once A retries")
    poll(
        lambda: a.query("SELECT state, attempts FROM deliveries WHERE id = ?", (delivery_id,)) == [("sent", 2)],
        "A to record the retried delivery as sent",
    )
