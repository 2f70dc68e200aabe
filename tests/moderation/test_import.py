"""``yinhu domain import``: Mastodon's domain-block CSV export (as IFTAS DNI and CARIAD publish
it) and the older headerless list, merged without overwriting a stricter local decision."""

from __future__ import annotations

from pathlib import Path

from actors.social.domains import block, import_csv, list_policies
from tests.conftest import Fediverse
from tests.e2e.conftest import run_cli
from tests.moderation.helpers import log_rows

FIXTURE = Path(__file__).parent / "fixtures" / "mastodon_domain_blocks.csv"


async def test_a_mastodon_export_merges_by_severity(fed: Fediverse) -> None:
    node = await fed.yinhu("a.test")
    await block(node.inst, "local-strict.example", "suspend", "our own decision")
    await block(node.inst, "upgrade.example", "review")
    report = await import_csv(node.inst, FIXTURE.read_text(encoding="utf-8"))
    assert report.added == ["spam.example: suspend", "harass.example: suspend", "loud.example: silence",
                            "xn--ls8h.example: silence"]
    assert report.changed == ["upgrade.example: suspend"]
    assert report.skipped == ["quiet.example: noop", "local-strict.example: already suspend"]
    assert len(report.errors) == 1 and report.errors[0].startswith("line 6: 'ex*mple.example' is not a domain")
    policies = {p.domain: p for p in await list_policies(node.inst)}
    assert policies["local-strict.example"].reason == "our own decision"
    assert policies["spam.example"].reason == "Spam and harassment" and policies["spam.example"].source == "import"
    assert "quiet.example" not in policies
    # Imported twice: nothing changes, nothing is logged again.
    logged = len(await log_rows(node))
    again = await import_csv(node.inst, FIXTURE.read_text(encoding="utf-8"))
    assert again.added == again.changed == [] and len(await log_rows(node)) == logged


async def test_the_headerless_list_and_bad_input_never_crash(fed: Fediverse) -> None:
    node = await fed.yinhu("a.test")
    text = "\ufeffone.example\n\n  Two.Example \n#a comment\nnot a domain\n\"unclosed,\n" + "x" * 300 + ".example\n"
    report = await import_csv(node.inst, text)
    assert report.added == ["one.example: suspend", "two.example: suspend"]
    # The comment is skipped; the unclosed quote swallows the line after it: two errors.
    assert len(report.errors) == 2
    assert all(e.startswith("line ") for e in report.errors)
    mixed = "#domain,#severity\nok.example,silence\nbad.example,obliterate\n,suspend\n"
    report = await import_csv(node.inst, mixed)
    assert report.added == ["ok.example: silence"]
    assert [e.split(":")[0] for e in report.errors] == ["line 3", "line 4"]


def test_the_cli_reports_added_changed_skipped_and_errors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_cli("init", "--url", "http://127.0.0.1:8999", "--dev", "--data", str(data))
    run_cli("domain", "block", "local-strict.example", "--severity", "suspend", "--data", str(data))
    proc = run_cli("domain", "import", str(FIXTURE), "--data", str(data))
    assert "added\tspam.example: suspend" in proc.stdout
    assert "skipped\tlocal-strict.example: already suspend" in proc.stdout
    assert "line 6:" in proc.stderr and "5 added, 0 changed, 2 skipped, 1 errors" in proc.stderr
    listed = run_cli("domain", "list", "--data", str(data)).stdout
    assert "spam.example" in listed and "Spam and harassment" in listed
    bad = run_cli("domain", "block", "ex*mple.com", "--severity", "suspend", "--data", str(data), check=False)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "is not a domain" in bad.stderr
    missing = run_cli("domain", "import", str(tmp_path / "nope.csv"), "--data", str(data), check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("yinhu: error: cannot read")
    assert run_cli("domain", "unblock", "nobody.example", "--data", str(data), check=False).returncode == 1
