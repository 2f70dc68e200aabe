"""A table per source at the end of the pytest report: which realworld cases hold."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

_results: dict[str, dict[str, str]] = defaultdict(dict)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # A case's outcome is its call's, or its setup's when setup did not pass (skip or error).
    if "test_realworld[" not in report.nodeid or not (report.when == "call" or
                                                       (report.when == "setup" and not report.passed)):
        return
    backend, _, case = report.nodeid.split("[", 1)[1].rstrip("]").partition("-")
    outcome = report.outcome if report.when == "call" or report.skipped else "error"
    _results[f"{case.split('/', 1)[0]} ({backend})"][case] = outcome


def pytest_terminal_summary(terminalreporter: Any) -> None:
    runs = {k: v for k, v in _results.items() if any(o != "skipped" for o in v.values())}
    if not runs:
        return
    tr = terminalreporter
    tr.section("realworld cases per source")
    for source, cases in sorted(runs.items()):
        held = sum(o == "passed" for o in cases.values())
        tr.write_line(f"{source}: {held}/{len(cases)} hold")
        for case, outcome in cases.items():
            tr.write_line(f"  {'ok  ' if outcome == 'passed' else 'FAIL'} {case}")
