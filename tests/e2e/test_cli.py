"""The ``yinhu`` command line as a user runs it: a subprocess per command.

Every command's ``--help`` exits 0; bad input exits non-zero with exactly one line on stderr,
starting ``yinhu: error:``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e

# The commands of issue 2; every other command the parser knows is added below, so a new
# command gets its --help checked without touching this file.
REQUIRED_COMMANDS = [
    [],
    ["init"],
    ["migrate"],
    ["serve"],
    ["worker"],
    ["community"],
    ["community", "create"],
    ["community", "list"],
    ["publish"],
    ["delete"],
    ["followers"],
    ["follow"],
    ["following"],
]


def parser_commands() -> list[list[str]]:
    """Every (sub)command path of ``yinhu``'s argparse tree."""
    from web.cli import build_parser

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> list[list[str]]:
        found = [path]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.extend(walk(sub, [*path, name]))
        return found

    return walk(build_parser(), [])


COMMANDS = REQUIRED_COMMANDS + [c for c in parser_commands() if c not in REQUIRED_COMMANDS]


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *, code: int | None = None, needle: str = "") -> None:
    assert proc.returncode != 0, proc.stdout
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("yinhu: error:"), proc.stderr
    assert needle in lines[0], (needle, lines[0])


def test_required_commands_exist() -> None:
    known = parser_commands()
    assert [c for c in REQUIRED_COMMANDS if c not in known] == []


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "yinhu")
def test_help_exits_zero(cli: Any, command: list[str]) -> None:
    proc = cli(*command, "--help", check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: yinhu {' '.join(command)}".rstrip())
    assert proc.stderr == ""


@pytest.fixture(scope="module")
def instance(cli: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli") / "data"
    out = cli("init", "--url", "http://127.0.0.1:8999", "--dev", "--data", str(data))
    assert "Initialised Yinhu at http://127.0.0.1:8999" in out.stdout
    cli("community", "create", "reading-club", "--name", "银湖读书会", "--data", str(data))
    return data


def test_happy_path_commands(cli: Any, instance: Path, tmp_path: Path) -> None:
    listed = cli("community", "list", "--data", str(instance)).stdout
    assert "@reading-club@127.0.0.1:8999\tinterest\t0 followers\t银湖读书会" in listed
    note = tmp_path / "note.json"
    note.write_text(json.dumps({"type": "note", "content": "你好 #银湖", "language": "zh"}), encoding="utf-8")
    out = cli("publish", "reading-club", str(note), "--data", str(instance)).stdout
    assert "queued for 0 inbox(es)" in out
    url = out.strip().splitlines()[-1]
    assert url.startswith("http://127.0.0.1:8999/o/")
    # The body may also come on stdin.
    out = cli("publish", "reading-club", "-", "--data", str(instance), stdin=note.read_text("utf-8")).stdout
    assert out.strip().splitlines()[-1].startswith("http://127.0.0.1:8999/o/")
    assert cli("delete", url, "--data", str(instance)).stdout.strip().splitlines()[-1] == url
    assert "has no followers yet" in cli("followers", "reading-club", "--data", str(instance)).stdout
    assert "not following anyone yet" in cli("following", "--data", str(instance)).stdout
    assert "schema" in cli("migrate", "--data", str(instance)).stdout


def test_init_requires_https_without_dev(cli: Any, tmp_path: Path) -> None:
    data = tmp_path / "d"
    proc = cli("init", "--url", "http://yinhu.example", "--data", str(data), check=False)
    assert_one_line_error(proc, code=1, needle="https")
    assert not data.exists()


def test_init_twice_refuses(cli: Any, instance: Path) -> None:
    proc = cli("init", "--url", "http://127.0.0.1:8999", "--dev", "--data", str(instance), check=False)
    assert_one_line_error(proc, code=1, needle="already")


@pytest.mark.parametrize("slug", ["Bad Slug!", "trailing-", "admin", "x" * 65])
def test_bad_slug(cli: Any, instance: Path, slug: str) -> None:
    proc = cli("community", "create", slug, "--name", "x", "--data", str(instance), check=False)
    assert_one_line_error(proc, code=1)


def test_duplicate_community(cli: Any, instance: Path) -> None:
    proc = cli("community", "create", "reading-club", "--name", "x", "--data", str(instance), check=False)
    assert_one_line_error(proc, code=1, needle="already exists")


def test_unknown_kind(cli: Any, instance: Path) -> None:
    proc = cli("community", "create", "garden", "--name", "x", "--kind", "spaceship", "--data", str(instance), check=False)
    assert_one_line_error(proc, code=2, needle="spaceship")


def test_unknown_command_and_missing_argument(cli: Any) -> None:
    assert_one_line_error(cli("bogus", check=False), code=2, needle="bogus")
    assert_one_line_error(cli(check=False), code=2)
    assert_one_line_error(cli("community", check=False), code=2)
    assert_one_line_error(cli("community", "create", "x", check=False), code=2, needle="--name")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("{not json", "not valid JSON"),
        ('{"type": "poem", "content": "x"}', "unknown type"),
        ('{"type": "note"}', "content"),
        ('{"type": "note", "content": "x", "language": "xx"}', "language"),
        ('{"type": "note", "content": "x", "colour": "red"}', "colour"),
        ("[1, 2]", "JSON object"),
    ],
    ids=["invalid-json", "unknown-type", "no-content", "bad-language", "unknown-field", "not-an-object"],
)
def test_publish_bad_body(cli: Any, instance: Path, tmp_path: Path, body: str, needle: str) -> None:
    f = tmp_path / "body.json"
    f.write_text(body, encoding="utf-8")
    proc = cli("publish", "reading-club", str(f), "--data", str(instance), check=False)
    assert_one_line_error(proc, code=1, needle=needle)


def test_publish_missing_file(cli: Any, instance: Path, tmp_path: Path) -> None:
    proc = cli("publish", "reading-club", str(tmp_path / "nope.json"), "--data", str(instance), check=False)
    assert_one_line_error(proc, code=1, needle="cannot read")


def test_publish_to_unknown_community(cli: Any, instance: Path, tmp_path: Path) -> None:
    f = tmp_path / "note.json"
    f.write_text('{"type": "note", "content": "x"}', encoding="utf-8")
    proc = cli("publish", "no-such-club", str(f), "--data", str(instance), check=False)
    assert_one_line_error(proc, code=1, needle="no-such-club")


def test_delete_unknown_object(cli: Any, instance: Path) -> None:
    proc = cli("delete", "http://127.0.0.1:8999/o/nothing", "--data", str(instance), check=False)
    assert_one_line_error(proc, code=1, needle="no published object")


def test_followers_approve_unknown_actor(cli: Any, instance: Path) -> None:
    proc = cli(
        "followers", "reading-club", "--approve", "https://mastodon.example/users/nobody", "--data", str(instance), check=False
    )
    assert_one_line_error(proc, code=1, needle="has not asked to follow")


def test_followers_of_unknown_community(cli: Any, instance: Path) -> None:
    proc = cli("followers", "no-such-club", "--data", str(instance), check=False)
    assert_one_line_error(proc, code=1, needle="no-such-club")


def test_approve_and_reject_are_exclusive(cli: Any, instance: Path) -> None:
    proc = cli("followers", "reading-club", "--approve", "a", "--reject", "b", "--data", str(instance), check=False)
    assert_one_line_error(proc, code=2)


@pytest.mark.parametrize(
    "command",
    [
        ["community", "list"],
        ["community", "create", "x", "--name", "x"],
        ["publish", "x", "-"],
        ["delete", "http://127.0.0.1/o/x"],
        ["followers", "x"],
        ["follow", "@x@example.com"],
        ["following"],
        ["migrate"],
        ["serve"],
        ["worker"],
    ],
    ids=lambda c: c[0] if c[0] != "community" else " ".join(c[:2]),
)
def test_missing_data_dir(cli: Any, tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "nowhere"
    proc = cli(*command, "--data", str(missing), check=False, stdin="{}")
    assert_one_line_error(proc, code=1, needle="no Yinhu instance")
    assert not missing.exists()


def test_data_before_or_after_the_command(cli: Any, tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    cli("--data", str(before), "init", "--url", "http://127.0.0.1:8998", "--dev")
    cli("init", "--url", "http://127.0.0.1:8997", "--dev", "--data", str(after))
    assert (before / "yinhu.toml").exists() and (after / "yinhu.toml").exists()
    assert not (REPO / "yinhu-data").exists()
    cli("--data", str(before), "community", "create", "garden", "--name", "花园")
    assert "@garden@127.0.0.1:8998" in cli("community", "list", "--data", str(before)).stdout
    assert "@garden@" not in cli("--data", str(after), "community", "list").stdout


def test_accounts_and_tokens_can_be_cut_off(cli: Any, instance: Path) -> None:
    data = ("--data", str(instance))
    cli("account", "create", "wen", "--community", "reading-club", "--password-stdin", *data,
        stdin="first password\n")
    token = cli("token", "create", "wen", "--label", "laptop", *data).stdout.strip()
    listed = cli("token", "list", "wen", *data).stdout
    assert "laptop" in listed and "active" in listed and token not in listed
    token_id = listed.splitlines()[1].split()[0]
    out = cli("token", "revoke", token_id, *data).stdout
    assert f"token {token_id} of wen revoked" in out
    assert "revoked" in cli("token", "list", *data).stdout
    assert_one_line_error(cli("token", "revoke", "99999", *data, check=False), code=1, needle="no token with id 99999")
    assert_one_line_error(cli("token", "list", "nobody", *data, check=False), code=1, needle="no account")
    assert_one_line_error(cli("token", "revoke", "x", *data, check=False), code=2, needle="invalid int")

    assert "is now disabled" in cli("account", "disable", "wen", *data).stdout
    assert "was already disabled" in cli("account", "disable", "wen", *data).stdout
    assert "is now enabled" in cli("account", "enable", "wen", *data).stdout
    out = cli("account", "password", "wen", "--password-stdin", *data, stdin="second password\n").stdout
    assert "every session of it has ended" in out
    short = cli("account", "password", "wen", "--password-stdin", *data, stdin="short\n", check=False)
    assert_one_line_error(short, code=1, needle="at least 10")
    assert "no longer has a role in reading-club" in cli("account", "revoke", "wen", "--community", "reading-club", *data).stdout
    again = cli("account", "revoke", "wen", "--community", "reading-club", *data, check=False)
    assert_one_line_error(again, code=1, needle="has no role")
    assert_one_line_error(cli("account", "disable", "nobody", *data, check=False), code=1, needle="no account")
