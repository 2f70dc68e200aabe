"""NodeInfo 2.0 and 2.1: the discovery document and the node description.

Mastodon serves NodeInfo but never reads it; Misskey and Fedify do, and Misskey prefers 2.1,
so we publish both. The two schemas differ only in ``software``: 2.0 forbids extra keys there,
2.1 adds the optional ``repository`` and ``homepage``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "SOFTWARE_NAME",
    "SOFTWARE_NAME_RE",
    "VERSIONS",
    "document",
    "profile",
    "schema_rel",
    "well_known",
]

VERSIONS = ("2.0", "2.1")
SOFTWARE_NAME = "yinhu"
# The schema's pattern for software.name; Fedify rejects documents that break it.
SOFTWARE_NAME_RE = re.compile(r"^[a-z0-9-]+$")


def _check_version(version: str) -> None:
    if version not in VERSIONS:
        raise ValueError(f"unsupported NodeInfo version {version!r}; expected one of {VERSIONS}")


def schema_rel(version: str) -> str:
    """The ``rel`` (and profile URI, minus ``#``) that names a NodeInfo schema version."""
    _check_version(version)
    return f"http://nodeinfo.diaspora.software/ns/schema/{version}"


def profile(version: str) -> str:
    """The content type to serve a NodeInfo ``version`` document with."""
    return f'application/json; profile="{schema_rel(version)}#"'


def well_known(base_url: str) -> dict[str, Any]:
    """The ``/.well-known/nodeinfo`` document linking to every version we serve."""
    base = base_url.rstrip("/")
    return {
        "links": [{"rel": schema_rel(v), "href": f"{base}/nodeinfo/{v}"} for v in VERSIONS]
    }


def document(
    version: str,
    *,
    software_version: str,
    users_total: int,
    users_active_month: int,
    users_active_halfyear: int,
    local_posts: int,
    open_registrations: bool,
    node_name: str,
    node_description: str,
    repository: str | None = None,
    homepage: str | None = None,
) -> dict[str, Any]:
    """The NodeInfo document for ``version``; ``repository``/``homepage`` appear only in 2.1."""
    _check_version(version)
    software: dict[str, str] = {"name": SOFTWARE_NAME, "version": software_version}
    if version == "2.1":
        if repository is not None:
            software["repository"] = repository
        if homepage is not None:
            software["homepage"] = homepage
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": users_total,
                "activeMonth": users_active_month,
                "activeHalfyear": users_active_halfyear,
            },
            "localPosts": local_posts,
        },
        "metadata": {"nodeName": node_name, "nodeDescription": node_description},
    }
