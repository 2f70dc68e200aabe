"""docs/ and README quote the code: these tests fail when the two drift apart.

docs/federation.md has a **Constants** table (`| `module.NAME` | value |`) whose every row is
compared with the value imported from the code, and a "Handled activity types:" line that must
list exactly the activity types of the inbox handler registry.
"""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FEDERATION = ROOT / "docs" / "federation.md"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
README = ROOT / "README.md"

# Every constant the docs must quote; a row for each must be in the Constants table.
REQUIRED = [
    "fedi.signatures.DEFAULT_SKEW",
    "fedi.httpsig.SUPPORTED_ALGORITHMS",
    "fedi.delivery.MAX_RETRY_AFTER",
    "actors.queues.delivery.FIRST_RETRY",
    "actors.queues.delivery.MAX_RETRY",
    "actors.queues.delivery.GIVE_UP_AFTER",
    "actors.queues.delivery.HOST_FAILURE_THRESHOLD",
    "actors.queues.delivery.HOST_MAX_BACKOFF",
    "actors.queues.delivery.LEASE",
    "actors.queues.delivery.SLOW_AFTER",
    "actors.queues.inbox_queue.MAX_ATTEMPTS",
    "actors.queues.inbox_queue.LEASE",
]


def human(value: object) -> str:
    """How the docs write a value: ``30 s``, ``2 min``, ``6 h``, ``3 days``, sets sorted."""
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
            if seconds >= size and seconds % size == 0:
                n = seconds // size
                return f"{n} {'day' if unit == 'days' and n == 1 else unit}"
        return f"{seconds} s"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)} s"
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(map(str, value)))
    return str(value)


def constants_table() -> dict[str, str]:
    text = FEDERATION.read_text(encoding="utf-8")
    section = text.split("## Constants", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\|\s*`([\w.]+)`\s*\|\s*([^|]+?)\s*\|\s*$", section, re.MULTILINE))


def code_value(dotted: str) -> object:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_constants_table_lists_every_required_constant() -> None:
    missing = [name for name in REQUIRED if name not in constants_table()]
    assert missing == [], f"docs/federation.md ## Constants lacks rows for {missing}"


@pytest.mark.parametrize("name", sorted(constants_table()))
def test_documented_constant_matches_code(name: str) -> None:
    documented = constants_table()[name]
    value = code_value(name)
    # Seconds given as a plain number (POLL_SECONDS = 1.0) are documented as "1 s".
    expected = human(timedelta(seconds=value)) if name.endswith(("_SECONDS", "INTERVAL")) else human(value)
    assert documented == expected, f"docs say {name} = {documented!r}, the code says {expected!r}"


def test_prose_quotes_the_key_numbers() -> None:
    text = FEDERATION.read_text(encoding="utf-8")
    from actors.queues import delivery
    from fedi import httpsig, signatures

    assert f"±{human(signatures.DEFAULT_SKEW)}" in text
    assert f"{human(delivery.FIRST_RETRY)} after the first failure" in text
    assert f"up to\n{human(delivery.MAX_RETRY)}" in text or f"up to {human(delivery.MAX_RETRY)}" in text
    assert f"more than {human(delivery.GIVE_UP_AFTER)} after" in text
    assert f"fail {delivery.HOST_FAILURE_THRESHOLD} times in a row" in text
    for algorithm in httpsig.SUPPORTED_ALGORITHMS:
        assert f"`{algorithm}`" in text


def test_handled_activity_types_match_the_registry() -> None:
    import inbox.handlers  # noqa: F401  (importing registers every handler)
    from inbox.dispatch import REGISTRY

    line = next(
        (ln for ln in FEDERATION.read_text(encoding="utf-8").splitlines() if ln.startswith("Handled activity types:")),
        None,
    )
    assert line is not None, "docs/federation.md needs a 'Handled activity types: ...' line"
    documented = set(re.findall(r"`(\w+)`", line))
    registered = {activity_type for activity_type, _ in REGISTRY}
    assert documented == registered, (
        f"documented but not handled: {sorted(documented - registered)}; "
        f"handled but not documented: {sorted(registered - documented)}"
    )


def test_delivery_classification_table_matches_code() -> None:
    from fedi import delivery

    text = FEDERATION.read_text(encoding="utf-8")
    codes = ", ".join(str(c) for c in sorted(delivery._RETRYABLE_4XX))
    assert f"| {codes} | retry" in text


def test_readme_test_command_is_the_ci_command() -> None:
    """README and CI run the same script, and the script is the command README spells out."""
    readme = README.read_text(encoding="utf-8")
    script = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test" in readme and "scripts/test" in ci
    spelled = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert spelled in readme and spelled in script


def test_docs_link_targets_exist() -> None:
    for doc in (README, FEDERATION, ARCHITECTURE):
        for target in re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)\)", doc.read_text(encoding="utf-8")):
            base = ROOT if doc == README else doc.parent
            assert (base / target).exists(), f"{doc.name} links to missing {target}"
