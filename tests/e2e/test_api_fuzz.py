"""Schemathesis against a real ``yinhu serve``: every answer of the JSON API is documented in
/api/openapi.json, matches its schema, and no input gets a 5xx.

Bounded: a fixed seed (reproducible; YINHU_FUZZ_SEED picks another) and a few dozen examples
per operation, all phases (examples, coverage, fuzzing, stateful: publish → update → delete →
delete again). Not run: positive_data_acceptance, which expects every schema-valid body to be
accepted, while the validator also judges what a schema cannot say (an end before the start,
an empty title); negative_data_rejection, which wants a 4xx for a malformed body even where
the object is already gone (we answer 410 first).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.e2e.conftest import REPO, Yinhu, clean_env

pytestmark = pytest.mark.e2e

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
    "response_schema_conformance,missing_required_header,unsupported_method,allow_header_conformance,"
    "use_after_free,ensure_resource_availability,ignored_auth"
)


def test_api_answers_only_documented_statuses_and_never_5xx(make_instance: Callable[[str], Yinhu]) -> None:
    node = make_instance("api")
    node.cli("community", "create", "garden", "--name", "花园")
    node.cli("account", "create", "root", "--admin", "--no-password")
    token = node.cli("token", "create", "root").stdout.strip()
    node.start()
    proc = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{node.url}/api/openapi.json",
         "--header", f"Authorization: Bearer {token}", "--checks", CHECKS,
         "--max-examples", "25", "--seed", os.environ.get("YINHU_FUZZ_SEED", "12"), "--workers", "1",
         "--max-time", "90", "--no-color"],
        cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]
    assert "generated" in proc.stdout  # it ran cases, not just loaded the schema
    log = node.servers[-1].log.read_text("utf-8", "replace")
    assert "unhandled error" not in log and "Traceback" not in log, log[-4000:]
