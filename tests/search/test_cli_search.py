"""``yinhu search synonyms add/list/remove`` and ``yinhu search reindex`` on a real instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from web.cli import main


def test_synonyms_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data", str(tmp_path / "d")]
    assert main(["init", "--url", "http://127.0.0.1:9", "--dev", *data]) == 0
    assert main(["search", "synonyms", "add", "绿植", "绿萝", *data]) == 0
    assert "绿植 → 绿萝" in capsys.readouterr().out
    assert main(["search", "synonyms", "list", *data]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "绿植\t绿萝\tadded" in listed and "瑜珈\t瑜伽\tshipped" in listed
    with pytest.raises(SystemExit) as bad:
        main(["search", "synonyms", "add", "a b", "c", *data])
    assert bad.value.code == 1 and "one word" in capsys.readouterr().err
    with pytest.raises(SystemExit) as missing:
        main(["search", "synonyms", "remove", "不存在", *data])
    assert missing.value.code == 1 and "no variant" in capsys.readouterr().err
    assert main(["search", "synonyms", "remove", "绿植", *data]) == 0
    assert capsys.readouterr().out == "removed 绿植\n"
    assert main(["search", "synonyms", "list", *data]) == 0
    assert "绿植" not in capsys.readouterr().out
    assert main(["search", "reindex", *data]) == 0
    assert "indexed 0 objects" in capsys.readouterr().out
