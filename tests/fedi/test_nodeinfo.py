"""fedi.nodeinfo: discovery links, 2.0 vs 2.1 shapes, content types."""

from __future__ import annotations

from typing import Any

import pytest

from fedi.nodeinfo import SOFTWARE_NAME, SOFTWARE_NAME_RE, document, profile, well_known

ARGS: dict[str, Any] = {
    "software_version": "0.1.0",
    "users_total": 12,
    "users_active_month": 5,
    "users_active_halfyear": 9,
    "local_posts": 340,
    "open_registrations": False,
    "node_name": "银湖 Test",
    "node_description": "A lake of events",
    "repository": "https://example.org/yinhu",
    "homepage": "https://yinhu.example",
}


def test_well_known_links_both_versions() -> None:
    assert well_known("https://yinhu.test/") == {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": "https://yinhu.test/nodeinfo/2.0",
            },
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": "https://yinhu.test/nodeinfo/2.1",
            },
        ]
    }


def _expected(version: str, software: dict[str, str]) -> dict[str, Any]:
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {"total": 12, "activeMonth": 5, "activeHalfyear": 9},
            "localPosts": 340,
        },
        "metadata": {"nodeName": "银湖 Test", "nodeDescription": "A lake of events"},
    }


def test_document_2_1_carries_repository_and_homepage() -> None:
    assert document("2.1", **ARGS) == _expected(
        "2.1",
        {
            "name": "yinhu",
            "version": "0.1.0",
            "repository": "https://example.org/yinhu",
            "homepage": "https://yinhu.example",
        },
    )


def test_document_2_0_has_no_extra_software_keys() -> None:
    # The 2.0 schema sets additionalProperties: false on software.
    assert document("2.0", **ARGS) == _expected("2.0", {"name": "yinhu", "version": "0.1.0"})


def test_document_2_1_optional_keys_omitted() -> None:
    args = {**ARGS, "repository": None, "homepage": None}
    assert document("2.1", **args)["software"] == {"name": "yinhu", "version": "0.1.0"}


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_document_has_no_schema_key_and_valid_name(version: str) -> None:
    doc = document(version, **ARGS)
    assert "$schema" not in doc
    assert SOFTWARE_NAME_RE.match(doc["software"]["name"])
    assert SOFTWARE_NAME_RE.match(SOFTWARE_NAME)
    assert isinstance(doc["openRegistrations"], bool)


def test_profile_content_type() -> None:
    assert profile("2.1") == (
        'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
    )
    assert profile("2.0").endswith('schema/2.0#"')


@pytest.mark.parametrize("version", ["1.0", "2.2", ""])
def test_unknown_version_rejected(version: str) -> None:
    with pytest.raises(ValueError, match="unsupported NodeInfo version"):
        document(version, **ARGS)
    with pytest.raises(ValueError):
        profile(version)
