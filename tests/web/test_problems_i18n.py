"""Every message a validator or filter gives reaches a Chinese reader in Chinese.

The messages are ``fedi.problems.Problem``s (English text plus a code and values); the pages
translate them from ``problem.<code>`` in the zh-CN catalog. Checked here: every code has its
Chinese words, with no placeholder the English lacks; the validators and filters give no
message that is not a Problem (their source is read); and the pages show them in Chinese."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from fedi.problems import ENGLISH, Problem, problem
from web.i18n import catalog, translator

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["actors/publishing/validation.py", "actors/publishing/fields.py", "actors/publishing/publishing.py", "actors/feed/feed.py", "actors/feed/venues.py"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


SAMPLE = {"options": "a, b", "value": "x", "length": 250, "limit": 200, "minimum": -90, "maximum": 90,
          "tag": "a b", "days": 365, "opens": "21:00", "closes": "09:00", "was": "note", "kind": "event"}


@pytest.mark.parametrize("code", sorted(ENGLISH))
def test_every_problem_has_chinese_words(code: str) -> None:
    zh = catalog("zh-CN").get(f"problem.{code}")
    assert zh, f"problem.{code} has no zh-CN text in web/locales"
    assert fields(zh) <= fields(ENGLISH[code]), f"problem.{code}: the Chinese names values the English does not give"
    message = problem(code, **{k: SAMPLE[k] for k in fields(ENGLISH[code])})
    shown = translator("zh-CN").problem(message)
    assert CJK.search(shown) and shown != str(message)
    english = translator("en").problem(message)  # the message itself, or its wording for people
    assert english == str(message) or catalog("en").get(f"problem.{code}")


def test_no_catalog_entry_names_a_code_that_does_not_exist() -> None:
    codes = {k.removeprefix("problem.") for k in catalog("zh-CN") if k.startswith("problem.")}
    assert codes <= set(ENGLISH)


def _plain_messages(source: str) -> list[int]:
    """Lines giving a message as plain text: ``….fail(key, "…")``, ``errors[…] = "…"``, and
    ``ContentError({…: "…"})`` (literals and f-strings)."""
    plain = (ast.Constant, ast.JoinedStr)
    found = []
    for node in ast.walk(ast.parse(source)):
        fail = isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "fail" and len(node.args) == 2
        if fail and isinstance(node.args[1], plain):  # type: ignore[attr-defined]
            found.append(node.lineno)
        if isinstance(node, ast.Assign) and isinstance(node.value, plain):
            target = node.targets[0]
            if isinstance(target, ast.Subscript) and getattr(target.value, "id", None) == "errors":
                found.append(node.lineno)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("ContentError", "FilterError"):
            for arg in node.args:
                if isinstance(arg, ast.Dict) and any(isinstance(v, plain) for v in arg.values):
                    found.append(node.lineno)
    return sorted(found)


@pytest.mark.parametrize("source", SOURCES)
def test_validators_and_filters_give_only_problems(source: str) -> None:
    assert _plain_messages((ROOT / source).read_text(encoding="utf-8")) == []


def test_the_check_finds_a_plain_message() -> None:
    source = ('def f(c, errors):\n    c.fail("x", "must be red")\n    errors["y"] = f"bad {1}"\n'
              '    raise ContentError({"z": "no"})\n    c.fail("ok", problem("required"))\n')
    assert _plain_messages(source) == [2, 3, 4]


def test_every_validation_message_is_a_problem() -> None:
    from datetime import UTC, datetime

    from actors.publishing.validation import ContentError, validate

    now = datetime(2030, 5, 8, 9, tzinfo=UTC)
    bad = [
        "not an object",
        {"type": "poster"},
        {"type": "event", "title": "x" * 300, "start": "2020-01-01T10:00", "end": "2019-01-01T10:00",
         "capacity": "many", "category": "NOPE", "join_mode": "external", "tags": ["a b"], "colour": "red",
         "place": {"name": "屋顶", "latitude": 95}, "timezone": "Mars/Base"},
        {"type": "listing", "title": "t", "kind": "goods", "purpose": "offer", "price": {"amount": "0"},
         "expires": "2020-01-01T00:00"},
        {"type": "venue", "name": "n", "amenities": ["moat"], "opening_hours": [{"days": ["Xx"], "opens": "9", "closes": "8"}]},
    ]
    seen = 0
    for body in bad:
        with pytest.raises(ContentError) as caught:
            validate(body, now)
        for field, message in caught.value.errors.items():
            assert isinstance(message, Problem), (field, message)
            assert CJK.search(translator("zh-CN").problem(message)), (field, message)
            seen += 1
    assert seen >= 15
