"""``yinhu community policy`` and ``yinhu queue`` as a moderator runs them: real processes on an
initialised instance; bad input exits 1 (2 for usage) with one line on stderr."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import Yinhu, make_instance  # noqa: F401 (make_instance: a fixture)
from tests.e2e.test_cli import assert_one_line_error

pytestmark = pytest.mark.e2e

# A neighbour's proposal from the web form, as that form stores it (origin web, a draft, a
# contact only moderators see).
WEB_DRAFT = {"type": "listing", "kind": "goods", "purpose": "offer", "title": "旧书架", "content": "搬家送出，自提。",
             "price": "free", "language": "zh"}


def _web_submission(a: Yinhu, draft: dict[str, object]) -> None:
    """Stored by the web form's own function (actors.social.proposals), on A's database."""
    from actors.social.proposals import Proposal, store_proposal
    from actors.storage.instance import Instance
    from actors.storage.settings import load_settings

    community = a.query("SELECT id FROM actors WHERE username = 'market'")[0][0]

    async def store() -> None:
        inst = await Instance.open(load_settings(a.data))
        try:
            await store_proposal(inst, Proposal(community, "listing", draft, "王*阿姨", "wechat: wang123", "k" * 64))
        finally:
            await inst.close()

    asyncio.run(store())


def test_policy_shown_and_set(make_instance: Callable[[str], Yinhu]) -> None:  # noqa: F811
    a = make_instance("a")
    a.cli("community", "create", "market", "--name", "二手市集")
    assert a.cli("community", "policy", "market").stdout.strip() == (
        "@market: submissions moderated; members queued like everyone")
    out = a.cli("community", "policy", "market", "--submissions", "open", "--trust-members").stdout
    assert out.strip() == "@market: submissions open; members trusted (skip the queue)"
    assert "submissions open" in a.cli("community", "policy", "market").stdout
    assert_one_line_error(a.cli("community", "policy", "nope", "--submissions", "closed", check=False), code=1,
                          needle="no community 'nope'")
    assert_one_line_error(a.cli("community", "policy", "market", "--submissions", "sometimes", check=False), code=2,
                          needle="sometimes")


def test_queue_lists_shows_approves_and_refuses_what_cannot_be_done(
    make_instance: Callable[[str], Yinhu], tmp_path: Path,  # noqa: F811
) -> None:
    a = make_instance("a")
    a.cli("community", "create", "market", "--name", "二手市集")
    assert a.cli("queue", "market").stdout.strip() == "@market: nothing waiting"
    _web_submission(a, WEB_DRAFT)
    [line] = a.cli("queue", "market").stdout.splitlines()
    sid, kind, who, title, _age = line.split("\t")
    assert (kind, who, title) == ("listing", "王*阿姨 (web)", "旧书架")
    shown = a.cli("queue", "market", "--show", sid).stdout
    assert "contact (moderators only): wechat: wang123" in shown and '"title": "旧书架"' in shown

    assert_one_line_error(a.cli("queue", "nope", check=False), code=1, needle="no community 'nope'")
    assert_one_line_error(a.cli("queue", "market", "--show", "999", check=False), code=1, needle="no submission 999")
    assert_one_line_error(a.cli("queue", "market", "--approve", "99999999999999999999", check=False), code=2)
    assert_one_line_error(a.cli("queue", "market", "--reject", sid, check=False), code=1, needle="--reason")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert_one_line_error(a.cli("queue", "market", "--approve", sid, "--draft", str(bad), check=False), code=1,
                          needle="cannot read the draft")

    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({**WEB_DRAFT, "title": "旧书架（两层）"}, ensure_ascii=False), encoding="utf-8")
    # The version --show printed: another one (the author edited it meanwhile) is refused.
    version = re.search(r"^version: (\w+) ", shown, re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert_one_line_error(a.cli("queue", "market", "--approve", sid, "--seen", "0" * 16, check=False), code=1,
                          needle="edited by its author since it was read")
    assert_one_line_error(a.cli("queue", "market", "--seen", version, check=False), code=1, needle="--approve ID")
    out = a.cli("queue", "market", "--approve", sid, "--draft", str(fixed), "--by", "li", "--seen", version).stdout
    url = out.strip().split(": ", 1)[1]
    assert url.startswith(f"{a.url}/o/")
    [(content, name)] = a.query("SELECT source, name FROM objects WHERE uri = ?", (url,))
    assert name == "旧书架（两层）"
    # The visitor is credited by the name they gave (Markdown escaped), never by their contact.
    assert content.endswith("由 王\\*阿姨 提交 · Submitted by 王\\*阿姨") and "wang123" not in content
    assert a.query("SELECT action, target, created_by FROM moderation_log") == [("approve", url, "li")]
    assert_one_line_error(a.cli("queue", "market", "--approve", sid, check=False), code=1, needle="already decided")
    assert_one_line_error(a.cli("queue", "market", "--reject", sid, "--reason", "x", check=False), code=1,
                          needle="already decided")
    assert a.cli("queue", "market").stdout.strip() == "@market: nothing waiting"
