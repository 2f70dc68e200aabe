"""A visitor proposes a notice from a 390 px phone in Chromium, under the site's CSP: sent too
quickly it comes back kept with the reason; sent again after a moment it is thanked."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import PHONE, Site, artifact
from tests.browser.test_resident_flow import no_horizontal_scroll


def test_a_visitor_proposes_a_notice_from_a_phone(page: Any, site: Site) -> None:
    problems: list[str] = []
    # (A 400 answer, the favicon's 404 are logged too: only refusals and script errors count.)
    page.on("console", lambda msg: problems.append(msg.text) if "Failed to load resource" not in msg.text else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.set_viewport_size(PHONE)
    page.goto("/c/reading")
    page.get_by_role("link", name="投稿（活动、物品、通知）").click()
    page.get_by_role("link", name="通知").click()
    no_horizontal_scroll(page)
    page.fill("#f-content", "周日上午小区花园有人捡到一串钥匙，请到物业领取。")
    page.fill("#f-submitter_contact", "微信 reading_neighbour")
    page.get_by_role("button", name="提交").click()  # at once: a script's speed
    assert "提交得太快了" in page.content()
    assert page.input_value("#f-content").startswith("周日上午小区花园")
    no_horizontal_scroll(page)
    page.wait_for_timeout(3500)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/c/reading/submit/sent")
    assert "已提交，等待审核" in page.content() and "reading_neighbour" not in page.content()
    page.screenshot(path=str(artifact("proposal-sent-phone.png")), full_page=True)
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []
    assert problems == []  # no script errors either
