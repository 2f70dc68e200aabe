"""The listing form's contact field: stored, shown again when editing, and refused with the
problem's words in the reader's language."""

from __future__ import annotations

import json

from tests.web.conftest import Site
from tests.web.test_dashboard import LISTING, field_block, local_objects, post_form


async def test_contact_through_the_listing_form(site: Site) -> None:
    await site.login("lin")
    bad = await post_form(site, "/dashboard/garden/new/listing", {**LISTING, "contact": "微信 a\u2028b"})
    assert bad.status_code == 422 and "只能是一行纯文本" in field_block(bad.text, "contact")
    assert await local_objects(site) == []
    english = await post_form(site, "/dashboard/garden/new/listing?lang=en", {**LISTING, "contact": "x" * 101})
    assert english.status_code == 422 and "too long: 101 characters, at most 100" in field_block(english.text, "contact")

    ok = await post_form(site, "/dashboard/garden/new/listing", {**LISTING, "contact": "微信 garden_lin"})
    assert ok.status_code == 303, ok.text
    [row] = await local_objects(site)
    assert json.loads(row.raw)["contact"] == "微信 garden_lin"
    token = row.uri.rsplit("/", 1)[1]
    edit = await site.client.get(f"/dashboard/garden/edit/{token}?lang=zh-CN")  # ?lang=en above stuck
    assert 'value="微信 garden_lin"' in field_block(edit.text, "contact")
    assert "会公开显示" in field_block(edit.text, "contact")
    page = await site.client.get(row.uri)
    assert "微信 garden_lin" in page.text
