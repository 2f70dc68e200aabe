"""The OpenAPI description served at /api/openapi.json: valid 3.1 and in step with the validators."""

from __future__ import annotations

from typing import Any

from actors.publishing import validation
from actors.storage.models import Role
from fedi import content
from tests.content.helpers import Pair

# Every enum the document has, by where it sits, and the constants it must equal.
EXPECTED_ENUMS = {
    "Account.communities": [r.value for r in Role],
    "Event.category": list(content.CATEGORIES),
    "Event.join_mode": list(validation.JOIN_MODES),
    "Event.status": list(validation.EVENT_STATUSES),
    "Event.language": list(validation.LANGUAGES),
    "Listing.kind": list(validation.LISTING_KINDS),
    "Listing.purpose": list(validation.PURPOSES),
    "Listing.condition": list(validation.CONDITIONS),
    "Listing.status": list(validation.LISTING_STATUSES),
    "Listing.language": list(validation.LANGUAGES),
    "Listing.price": [m for m in validation.PRICE_MODES if m != "amount"],
    "Venue.amenities": list(content.AMENITIES),
    "Venue.language": list(validation.LANGUAGES),
    "Venue.price": ["free", "negotiable"],
    "Note.language": list(validation.LANGUAGES),
}


def _enums_in(node: Any) -> list[list[Any]]:
    if isinstance(node, dict):
        own = [node["enum"]] if "enum" in node else []
        return own + [e for k, v in node.items() if k != "enum" for e in _enums_in(v)]
    if isinstance(node, list):
        return [e for item in node for e in _enums_in(item)]
    return []


def _schema_enums(schemas: dict[str, Any]) -> dict[str, list[Any]]:
    """``{"Schema.property": enum}`` for every enum under a schema's properties (one each)."""
    found: dict[str, list[Any]] = {}
    for name, schema in schemas.items():
        for prop, spec in schema.get("properties", {}).items():
            enums = _enums_in(spec)
            assert len(enums) <= 1, f"{name}.{prop} has {len(enums)} enums"
            if enums:
                found[f"{name}.{prop}"] = enums[0]
    return found


async def test_openapi_is_valid_3_1(pair: Pair) -> None:
    resp = await pair.fed.client.get(pair.a.url("/api/openapi.json"))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    doc = resp.json()
    assert doc["openapi"].startswith("3.1.")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["servers"] == [{"url": "http://a.test"}]
    assert doc["components"]["securitySchemes"]["bearer"] == {**doc["components"]["securitySchemes"]["bearer"],
                                                              "type": "http", "scheme": "bearer"}
    paths = doc["paths"]
    for path, method in (("/api/v1/communities/{slug}/objects", "post"), ("/api/v1/communities/{slug}/media", "post"),
                         ("/api/v1/objects/{token}", "put"), ("/api/v1/objects/{token}", "delete")):
        op = paths[path][method]
        assert {"401", "403", "404"} <= set(op["responses"]), (path, method)
        for param in op.get("parameters", []):
            assert param["in"] == "path" and f"{{{param['name']}}}" in path and param["required"] is True
    assert set(paths["/api/v1/me"]["get"]["responses"]) == {"200", "401"}  # no community: never 403
    assert "410" in paths["/api/v1/objects/{token}"]["delete"]["responses"]
    assert "422" in paths["/api/v1/communities/{slug}/objects"]["post"]["responses"]
    assert {"413", "422"} <= set(paths["/api/v1/communities/{slug}/media"]["post"]["responses"])
    # Every $ref resolves.
    refs: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(doc)
    assert refs
    for ref in refs:
        target: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]

    try:
        from openapi_spec_validator import validate
    except ImportError:  # the structural checks above are what remains
        return
    validate(doc)


async def test_openapi_enums_equal_the_validators_constants(pair: Pair) -> None:
    doc = (await pair.fed.client.get(pair.a.url("/api/openapi.json"))).json()
    found = _schema_enums(doc["components"]["schemas"])
    assert found == EXPECTED_ENUMS


async def test_every_openapi_property_is_a_field_the_validators_accept(pair: Pair) -> None:
    """Nothing documented is refused as an unknown field."""
    from datetime import UTC, datetime

    doc = (await pair.fed.client.get(pair.a.url("/api/openapi.json"))).json()
    schemas = doc["components"]["schemas"]
    for name, kind in (("Note", "note"), ("Event", "event"), ("Listing", "listing"), ("Venue", "venue")):
        props = set(schemas[name]["properties"])
        try:
            validation.VALIDATORS[kind]({k: None for k in props} | {"type": kind}, datetime.now(UTC))
        except validation.ContentError as exc:
            unknown = {k for k, v in exc.errors.items() if v == "unknown field"}
            assert not unknown, (name, unknown)
        bogus = {"type": kind, "zz_not_a_field": 1}
        try:
            validation.VALIDATORS[kind](bogus, datetime.now(UTC))
        except validation.ContentError as exc:
            assert exc.errors.get("zz_not_a_field") == "unknown field"
