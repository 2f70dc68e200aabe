"""The administrator's aggregator page: follow many, see states, unfollow, inclusion requests."""

from __future__ import annotations

from actors.feed.aggregate import subscriptions
from actors.social.accounts import create_account
from actors.social.local import create_community
from tests.conftest import Fediverse
from tests.web.conftest import PASSWORD, Site


async def test_only_admins_see_the_page(site: Site) -> None:
    assert (await site.client.get("/admin/subscriptions")).status_code == 303  # to the login
    await site.login("lin")
    assert (await site.client.get("/admin/subscriptions")).status_code == 403


async def test_admin_follows_communities_of_another_instance_and_unfollows(site: Site, fed: Fediverse) -> None:
    east = await fed.yinhu("east.test")
    await create_community(east.inst, "club", name="读书会")
    await create_account(site.node.inst, "root", PASSWORD, is_admin=True)
    await site.login("root")
    token = await site.csrf("/admin/subscriptions")
    # No CSRF token: refused, nothing followed.
    bad = await site.client.post("/admin/subscriptions", data={"action": "follow", "targets": "@club@east.test"})
    assert bad.status_code == 403 and await subscriptions(site.node.inst) == []

    page = await site.client.post(
        "/admin/subscriptions", data={"csrf": token, "action": "follow", "targets": "@club@east.test\n@nobody@east.test"}
    )
    assert page.status_code == 200
    assert "@club@east.test: <strong>pending</strong>" in page.text
    assert "@nobody@east.test: <strong>failed</strong>" in page.text
    await fed.drain()
    [sub] = await subscriptions(site.node.inst)
    assert (sub.handle, sub.state) == ("@club@east.test", "accepted")
    listing = await site.client.get("/admin/subscriptions?lang=en")
    assert "@club@east.test" in listing.text and "accepted" in listing.text

    done = await site.client.post(
        "/admin/subscriptions", data={"csrf": token, "action": "unfollow", "target": sub.uri}
    )
    assert "unfollowed" in done.text
    await fed.drain()
    assert await subscriptions(site.node.inst) == []
