"""The OpenAPI 3.1 description of the JSON API, built from the same constants the validators use."""

from __future__ import annotations

from typing import Any

from actors.publishing.validation import (
    CONDITIONS,
    EVENT_STATUSES,
    JOIN_MODES,
    LANGUAGES,
    LISTING_KINDS,
    LISTING_STATUSES,
    MAX_CONTACT,
    PURPOSES,
)
from actors.storage.models import Role
from fedi.content import AMENITIES, CATEGORIES

__all__ = ["openapi_document"]

_DT = {"type": "string", "examples": ["2026-12-06T14:00"], "description": "ISO 8601; without an offset it is local to `timezone`"}
_IMAGE = {
    "type": "object",
    "required": ["media"],
    "properties": {
        "media": {"type": "string", "description": "token returned by the media upload"},
        "alt": {"type": "string", "maxLength": 1500, "description": "alt text for people who cannot see the image"},
    },
}
_PLACE = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "address": {"type": "string"},
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
    },
}
_MONEY = {
    "type": "object",
    "required": ["amount"],
    "properties": {"amount": {"type": "string", "examples": ["120", "9.90"]}, "currency": {"type": "string", "default": "CNY"}},
}
_TAGS = {"type": "array", "items": {"type": "string"}, "maxItems": 10}
_LANG = {"type": "string", "enum": list(LANGUAGES), "default": "zh"}


def _kind_schema(kind: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """The body of one kind: ``type`` is the kind, and no field outside ``properties``."""
    return {
        "type": "object",
        "additionalProperties": False,  # the validator refuses unknown fields
        "required": ["type", *required],
        "properties": {"type": {"const": kind}, **properties},
    }


def _note_schema() -> dict[str, Any]:
    return _kind_schema("note", ["content"], {
        "content": {"type": "string", "description": "Markdown"},
        "language": _LANG,
        "images": {"type": "array", "items": _IMAGE, "maxItems": 4},
    })


def _event_schema() -> dict[str, Any]:
    return _kind_schema("event", ["title", "start"], {
        "title": {"type": "string", "maxLength": 200},
        "content": {"type": "string", "description": "Markdown description"},
        "start": _DT,
        "end": _DT,
        "timezone": {"type": "string", "default": "Asia/Shanghai"},
        "place": _PLACE,
        "online_url": {"type": "string", "format": "uri"},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "tags": _TAGS,
        "capacity": {"type": "integer", "minimum": 1},
        "join_mode": {"type": "string", "enum": list(JOIN_MODES), "default": "free"},
        "external_url": {"type": "string", "format": "uri", "description": "sign-up page when join_mode is external"},
        "status": {"type": "string", "enum": list(EVENT_STATUSES), "default": "scheduled"},
        "language": _LANG,
        "image": _IMAGE,
    })


def _listing_schema() -> dict[str, Any]:
    return _kind_schema("listing", ["kind", "title"], {
        "kind": {"type": "string", "enum": list(LISTING_KINDS)},
        "purpose": {"type": "string", "enum": list(PURPOSES), "default": "offer"},
        "title": {"type": "string", "maxLength": 200},
        "content": {"type": "string"},
        "price": {"oneOf": [_MONEY, {"type": "string", "enum": ["free", "swap", "negotiable"]}]},
        "condition": {"type": "string", "enum": list(CONDITIONS), "description": "goods only"},
        "area": {"oneOf": [{"type": "string"}, _PLACE]},
        "status": {"type": "string", "enum": list(LISTING_STATUSES), "default": "available"},
        "expires": _DT,
        "tags": _TAGS,
        "language": _LANG,
        "images": {"type": "array", "items": _IMAGE, "maxItems": 4},
        "contact": {"type": "string", "maxLength": MAX_CONTACT,
                    "description": "how to reach the publisher (phone, WeChat ID, e-mail), one line; shown publicly"},
    })


def _venue_schema() -> dict[str, Any]:
    return _kind_schema("venue", ["name", "address"], {
        "name": {"type": "string"},
        "content": {"type": "string"},
        "address": {"type": "string"},
        "latitude": {"type": "number"},
        "longitude": {"type": "number"},
        "capacity": {"type": "integer", "minimum": 1},
        "amenities": {"type": "array", "items": {"type": "string", "enum": list(AMENITIES)}},
        "opening_hours": {"oneOf": [{"type": "string", "examples": ["Mo-Fr 09:00-21:00; Sa 10:00-18:00"]},
                                    {"type": "array", "items": {"type": "object"}}]},
        "bookable": {"type": "boolean", "default": True},
        "contact": {"type": "string"},
        "price": {"oneOf": [_MONEY, {"type": "string", "enum": ["free", "negotiable"]}]},
        "part_of": {"type": "string", "description": "the compound, village or park it belongs to"},
        "tags": _TAGS,
        "language": _LANG,
        "images": {"type": "array", "items": _IMAGE, "maxItems": 4},
    })


def _response_schemas() -> dict[str, Any]:
    """What the API answers with: a publish's result, the account, a stored image, an error."""
    return {
    "Published": {
        "type": "object",
        "required": ["id", "token", "url", "activity", "recipients"],
        "properties": {"id": {"type": "string"}, "url": {"type": "string"}, "activity": {"type": "string"},
                       "token": {"type": "string", "description": "the last part of the URL, for PUT/DELETE"},
                       "recipients": {"type": "integer"}},
    },
    "Account": {
        "type": "object",
        "required": ["name", "admin", "communities"],
        "properties": {"name": {"type": "string"}, "admin": {"type": "boolean"},
                       "communities": {"type": "object",
                                       "additionalProperties": {"type": "string", "enum": [r.value for r in Role]}}},
    },
    "Media": {
        "type": "object",
        "required": ["media", "url", "media_type", "width", "height", "alt"],
        "properties": {"media": {"type": "string"}, "url": {"type": "string"}, "media_type": {"type": "string"},
                       "width": {"type": "integer"}, "height": {"type": "integer"}, "alt": {"type": "string"}},
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}}},
    },
    }


def _schemas() -> dict[str, Any]:
    return {
        "Note": _note_schema(),
        "Event": _event_schema(),
        "Listing": _listing_schema(),
        "Venue": _venue_schema(),
        **_response_schemas(),
    }


def _err(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_document(base: str, communities: tuple[str, ...] = ()) -> dict[str, Any]:
    """The document; ``communities`` (this instance's slugs) become the slug parameter's examples."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Yinhu API", "version": "1", "description": "Publish events, listings, venues and notes for a Yinhu community."},
        "servers": [{"url": base}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "`yinhu token create ACCOUNT`"}},
            "schemas": _schemas(),
        },
        "security": [{"bearer": []}],
        "paths": _paths(communities),
    }


def _paths(communities: tuple[str, ...]) -> dict[str, Any]:
    body = {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in ("Note", "Event", "Listing", "Venue")]}}},
    }
    # After a publish, its `token` is what PUT and DELETE take (OpenAPI links, so clients and
    # test generators can follow them).
    links = {
        "UpdateObject": {"operationId": "updateObject", "parameters": {"token": "$response.body#/token"}},
        "DeleteObject": {"operationId": "deleteObject", "parameters": {"token": "$response.body#/token"}},
    }
    published = {"description": "published", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Published"}}},
                 "headers": {"Location": {"description": "the object's URL", "schema": {"type": "string"}}}}
    auth_errors = {"401": _err("missing, unknown or revoked token, or the account is disabled"),
                   "403": _err("the account may not act for this community")}
    token_param = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
                   "description": "the last part of the object's URL (/o/TOKEN)"}
    slug_param: dict[str, Any] = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                                  "description": "the community's name (`yinhu community list`)"}
    if communities:
        slug_param["examples"] = {c: {"value": c} for c in communities}
    no_community = _err("no community with this name on this instance")
    return {
        "/api/v1/me": _me_operation(auth_errors),
        "/api/v1/communities/{slug}/objects": {
            "post": {"operationId": "publish", "summary": "Publish an event, listing, venue or note", "parameters": [slug_param], "requestBody": body,
                     "responses": {"201": {**published, "links": links}, "404": no_community,
                                   "422": _err("invalid content (or body not JSON, or over 1 MB): `fields` says what is wrong with each field"),
                                   **auth_errors}},
        },
        "/api/v1/communities/{slug}/media": _media_operations(slug_param, no_community, auth_errors),
        "/api/v1/objects/{token}": _object_operations(token_param, body, published, auth_errors),
    }


def _me_operation(auth_errors: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"operationId": "me", "summary": "The account behind the token and its communities",
                    "responses": {"200": {"description": "account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Account"}}}},
                                  "401": auth_errors["401"]}}}


def _media_operations(slug_param: dict[str, Any], no_community: dict[str, Any],
                      auth_errors: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "operationId": "uploadMedia",
            "summary": "Upload an image (JPEG, PNG, WebP, GIF; at most 10 MB and 40 megapixels)",
            "parameters": [slug_param],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}, "alt": {"type": "string"}}}}}},
            "responses": {"201": {"description": "stored; use `media` in an image field",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Media"}}}},
                          "400": _err("not a readable multipart/form-data body"), "404": no_community,
                          "413": _err("too large"), "422": _err("not an acceptable image"), **auth_errors},
        },
    }


def _object_operations(token_param: dict[str, Any], body: dict[str, Any], published: dict[str, Any],
                       auth_errors: dict[str, Any]) -> dict[str, Any]:
    return {
        "put": {"operationId": "updateObject", "summary": "Replace an object's content (sends Update to followers)", "parameters": [token_param],
                "requestBody": body, "responses": {"200": published, "404": _err("no such object"), "410": _err("the object was deleted"),
                                                   "422": _err("invalid content"), **auth_errors}},
        "delete": {"operationId": "deleteObject", "summary": "Delete an object (sends Delete; its URL then answers 410)", "parameters": [token_param],
                   "responses": {"200": published, "404": _err("no such object"), "410": _err("already deleted"), **auth_errors}},
    }
