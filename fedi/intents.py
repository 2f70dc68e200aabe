"""Remote interaction: the URL on a person's own server where they can act on an object.

Mastodon (and GoToSocial, Akkoma, Misskey) publish in their WebFinger answer a link with
``rel`` ``http://ostatus.org/schema/1.0/subscribe`` whose ``template`` holds ``{uri}``:
``https://mastodon.social/authorize_interaction?uri={uri}``. A page sends a visitor there with
an object's id, and they reply, favourite or sign up from their own account (FEP-3b86 names
the same template). The lookup is ``fedi.webfinger``'s, through ``fetch_json``: the SSRF checks
stay.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from fedi.content import safe_url
from fedi.errors import WebFingerError
from fedi.fetch import Resolver, default_resolver
from fedi.webfinger import parse_handle, webfinger_document

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
    reason) when the handle is malformed, unknown, gone, unreachable or its server offers none."""
    document = await webfinger_document(
        client, handle, scheme=scheme, allow_private=allow_private, resolver=resolver, timeout=5.0
    )
    template = _template(document)
    if template is None:
        host = parse_handle(handle)[1]
        raise WebFingerError(f"{host} offers no remote interaction", handle=handle)
    return template


def interaction_url(template: str, object_uri: str) -> str | None:
    """The template filled with ``object_uri``; None unless the result is an http(s) URL."""
    return safe_url(template.replace("{uri}", quote(object_uri, safe="")))
