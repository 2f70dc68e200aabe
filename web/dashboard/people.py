"""How a remote person shows on a dashboard page: their handle on their own server, their
name, and a link to their profile (http(s) only; anything else is no link)."""

from __future__ import annotations

from typing import Any

from actors.feed.feed import handle, profile_url
from fedi.content import safe_url

__all__ = ["person_view"]


def person_view(r: Any) -> dict[str, Any]:
    """``r`` carries the actor's ``uri``, ``username``, ``domain``, ``name`` and ``raw``."""
    return {
        "uri": r.uri,
        "handle": handle(r.username, r.domain, r.uri),
        "name": r.name or "",
        "url": safe_url(profile_url(r.uri, r.raw, False, r.username)) or "",
    }
