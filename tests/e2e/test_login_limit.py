"""The login limiter is shared by every process serving an instance: two ``yinhu serve``
processes on one database, an attacker's failures counted by one slow the attacker on the other,
and a logout on one ends the session on both."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from tests.e2e.conftest import Yinhu, free_port

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough password"


def login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text
    return client.post("/login", data={"name": name, "password": password, "csrf": token[1]})


def test_two_processes_share_the_limiter_and_the_logout(make_instance: Callable[[str], Yinhu]) -> None:
    one = make_instance("one")
    one.cli("community", "create", "garden", "--name", "花园")
    one.cli("account", "create", "lin", "--community", "garden", "--password-stdin", stdin=PASSWORD + "\n")
    two = Yinhu("two", one.data, free_port(), one.logs)  # the same data directory and database
    one.start()
    two.start()
    try:
        with httpx.Client(base_url=one.url) as a, httpx.Client(base_url=two.url) as b:
            assert login(a, "lin", "guess one").status_code == 401
            assert login(b, "lin", "guess two").status_code == 401
            assert login(a, "lin", "guess three").status_code == 401
            refused = login(b, "lin", PASSWORD)  # the other process counted all three
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
            assert login(a, "lin", PASSWORD).status_code == 429

        # Counts are per address and 127.0.0.1 is the only one here (another address getting in
        # is tested in tests/web/test_access.py); clear them to check the sessions.
        one.execute("DELETE FROM login_failures")
        with httpx.Client(base_url=one.url) as a:
            assert login(a, "lin", PASSWORD).status_code == 303
            cookie = a.cookies.get("yinhu_session")
            assert cookie and a.get("/dashboard/garden").status_code == 200
            with httpx.Client(base_url=two.url, cookies={"yinhu_session": cookie}) as copy:
                assert copy.get("/dashboard/garden").status_code == 200  # one cookie, either process
                csrf = re.search(r'name="csrf" value="([^"]+)"', a.get("/dashboard").text)
                assert csrf
                assert a.post("/logout", data={"csrf": csrf[1]}).status_code == 303
                assert copy.get("/dashboard/garden").status_code == 303  # ended on the other process too
    finally:
        two.stop()
