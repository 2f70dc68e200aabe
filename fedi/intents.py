"""Remote interaction: the URL on a person's own server where they can act on an object.

Mastodon (and GoToSocial, Akkoma, Misskey) publish in their WebFinger answer a link with
``rel`` ``http://ostatus.org/schema/1.0/subscribe`` whose ``template`` holds ``{uri}``:
``https://mastodon.social/authorize_interaction?uri={uri}``. A page sends a visitor there with
an object's id, and they reply, favourite or sign up from their own account (FEP-3b86 names
the same template). The lookup goes through ``fetch_json``: the SSRF checks stay.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from fedi.content import safe_url
from fedi.errors import FetchError, NotFound, WebFingerError
from fedi.fetch import Resolver, default_resolver, fetch_json
from fedi.webfinger import JRD_ACCEPT, parse_handle

__all__ = ["SUBSCRIBE_REL", "interaction_url", "subscribe_template"]

SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"


def _template(document: dict[str, Any]) -> str | None:
    links = document.get("links")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("rel") == SUBSCRIBE_REL and isinstance(link.get("template"), str):
            template: str = link["template"]
            if "{uri}" in template:
                return template
    return None


async def subscribe_template(
    client: httpx.AsyncClient, handle: str, *, scheme: str = "https", allow_private: bool = False,
    resolver: Resolver = default_resolver,
) -> str:
    """The remote-interaction template of ``handle``'s server; ``WebFingerError`` (with the
    reason) when the handle is malformed, unknown, unreachable or its server offers none."""
    try:
        name, host = parse_handle(handle)
    except ValueError as exc:
        raise WebFingerError(str(exc), handle=handle) from exc
    url = f"{scheme}://{host}/.well-known/webfinger?resource=acct:{name}@{host}"
    try:
        document = await fetch_json(client, url, accept=JRD_ACCEPT, require_ap=False, check_id=False,
                                    allow_private=allow_private, resolver=resolver, timeout=5.0)
    except NotFound as exc:
        raise WebFingerError(f"{name}@{host}: no such account", handle=handle) from exc
    except FetchError as exc:
        raise WebFingerError(f"{name}@{host}: WebFinger lookup failed: {exc}", handle=handle) from exc
    template = _template(document)
    if template is None:
        raise WebFingerError(f"{host} offers no remote interaction", handle=handle)
    return template


def interaction_url(template: str, object_uri: str) -> str | None:
    """The template filled with ``object_uri``; None unless the result is an http(s) URL."""
    return safe_url(template.replace("{uri}", quote(object_uri, safe="")))
