"""The listing reader over posts residents write (fixtures/posts.json): per-field recall, the
listing/note decision's precision, and every listing it makes accepted by validation.

The figures are printed at the end of the pytest report ("listing reader" section)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from actors.publishing.validation import validate
from fedi.content.posts import PostReading, read_post

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "posts.json").read_text("utf-8"))
POSTS = FIXTURE["posts"]  # the posts the reader was built from
HELDOUT = FIXTURE["heldout"]  # posts written after it, measured before any change
FIELDS = ("kind", "purpose", "price", "tags", "title", "condition")
# What the reader reaches on the fixture, each field at least this (honest floors, not targets).
FLOORS = {"decision precision": 0.9, "decision recall": 0.9, **{f: 0.9 for f in FIELDS}}


def _read(post: dict[str, Any]) -> PostReading:
    return read_post(post["text"], hashtags=post.get("hashtags", ()), images=post.get("images", ()),
                     mention_names=post.get("mentions", ()))


def _same(field: str, expected: Any, body: dict[str, Any]) -> bool:
    got = body.get(field)
    if field == "price":
        if isinstance(expected, dict):
            return (isinstance(got, dict) and Decimal(got["amount"]) == Decimal(expected["amount"])
                    and got["currency"] == expected["currency"])
        return got == expected
    if field == "tags":
        return set(got or ()) == set(expected)
    if field == "title":
        return " ".join(str(got).split()).casefold() == " ".join(expected.split()).casefold()
    return bool(got == expected)


def _figures(posts: list[dict[str, Any]]) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """(hits, cases) per field and for the decision, and one line per miss."""
    counts = {name: [0, 0] for name in ("decision precision", "decision recall", *FIELDS)}
    misses = []
    for post in posts:
        expect, reading = post["expect"], _read(post)
        listing_expected = expect["type"] == "listing"
        if reading.kind == "listing":
            counts["decision precision"][1] += 1
            counts["decision precision"][0] += listing_expected
        if listing_expected:
            counts["decision recall"][1] += 1
            counts["decision recall"][0] += reading.kind == "listing"
        if reading.kind != expect["type"]:
            misses.append(f"{post['text'][:40]!r}: read as {reading.kind}")
        for field in FIELDS if listing_expected else ():
            if field not in expect:
                continue
            counts[field][1] += 1
            body = reading.body if reading.kind == "listing" else {}
            if _same(field, expect[field], body):
                counts[field][0] += 1
            elif reading.kind == "listing":
                misses.append(f"{post['text'][:40]!r}: {field} {body.get(field)!r}, expected {expect[field]!r}")
    return {k: (v[0], v[1]) for k, v in counts.items()}, misses


class _Report:
    """Prints the figures in the terminal summary, as tests/realworld prints its table."""

    def __init__(self, figures: dict[str, tuple[int, int]], misses: list[str]) -> None:
        self.figures, self.misses = figures, misses

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr = terminalreporter
        tr.section("listing reader (tests/submissions/fixtures/posts.json)")
        tr.write_line(f"{len(POSTS)} posts, {sum(p['expect']['type'] == 'listing' for p in POSTS)} listings")
        for name, (hits, cases) in self.figures.items():
            tr.write_line(f"  {name:<20} {hits:>3}/{cases:<3} {hits / cases:6.1%}")
        for miss in self.misses:
            tr.write_line(f"  miss: {miss}")


@pytest.fixture(scope="module")
def figures(request: pytest.FixtureRequest) -> Iterator[dict[str, tuple[int, int]]]:
    counts, misses = _figures()
    plugin = _Report(counts, misses)
    if request.config.pluginmanager.get_plugin("listing-reader-report") is None:
        request.config.pluginmanager.register(plugin, name="listing-reader-report")
    yield counts


def test_fixture_is_broad() -> None:
    listings = [p for p in POSTS if p["expect"]["type"] == "listing"]
    assert len(POSTS) >= 60 and len(POSTS) - len(listings) >= 15
    assert {p["expect"]["kind"] for p in listings} == {"goods", "skill", "service", "help"}
    assert {p["expect"]["purpose"] for p in listings} == {"offer", "request"}
    prices = {json.dumps(p["expect"]["price"]) if not isinstance(p["expect"]["price"], dict) else "amount"
              for p in listings}
    assert prices == {"amount", '"free"', '"swap"', '"negotiable"', "null"}


@pytest.mark.parametrize("name", list(FLOORS))
def test_recall_per_field(figures: dict[str, tuple[int, int]], name: str) -> None:
    hits, cases = figures[name]
    assert cases and hits / cases >= FLOORS[name], f"{name}: {hits}/{cases}"


@pytest.mark.parametrize("post", POSTS, ids=[f"post{i}" for i in range(len(POSTS))])
def test_every_reading_validates(post: dict[str, Any]) -> None:
    reading = _read(post)
    kind, clean = validate(reading.body, datetime.now(UTC))
    assert kind == reading.kind
    assert "@market" not in (clean.get("title") or "") + clean["content"][:1] + clean["content"][-20:]
