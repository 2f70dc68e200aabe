"""The code passes ruff (pinned in the [test] extra; rules in pyproject.toml).

bench/ is measuring scaffolding, not shipped code, and is left out.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "fedi", "actors", "inbox", "web", "tests"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
