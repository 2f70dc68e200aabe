"""The OpenAPI 3.1 description of the JSON API, built from the same constants the validators use."""

from __future__ import annotations

from typing import Any

from actors.validation import (
    CONDITIONS,
    EVENT_STATUSES,
    JOIN_MODES,
    LANGUAGES,
    LISTING_KINDS,
    LISTING_STATUSES,
    PURPOSES,
)
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


def _schemas() -> dict[str, Any]:
    return {
        "Note": {
            "type": "object",
            "required": ["type", "content"],
            "properties": {"type": {"const": "note"}, "content": {"type": "string", "description": "Markdown"},
                           "language": _LANG, "images": {"type": "array", "items": _IMAGE, "maxItems": 4}},
        },
        "Event": {
            "type": "object",
            "required": ["type", "title", "start"],
            "properties": {
                "type": {"const": "event"},
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
            },
        },
        "Listing": {
            "type": "object",
            "required": ["type", "kind", "title"],
            "properties": {
                "type": {"const": "listing"},
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
            },
        },
        "Venue": {
            "type": "object",
            "required": ["type", "name", "address"],
            "properties": {
                "type": {"const": "venue"},
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
            },
        },
        "Published": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "url": {"type": "string"}, "activity": {"type": "string"},
                           "recipients": {"type": "integer"}},
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}}},
        },
    }


def _err(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_document(base: str) -> dict[str, Any]:
    body = {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in ("Note", "Event", "Listing", "Venue")]}}},
    }
    published = {"description": "published", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Published"}}}}
    auth_errors = {"401": _err("missing, unknown or revoked token"), "403": _err("the account may not act for this community")}
    token_param = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
                   "description": "the last part of the object's URL (/o/TOKEN)"}
    slug_param = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Yinhu API", "version": "1", "description": "Publish events, listings, venues and notes for a Yinhu community."},
        "servers": [{"url": base}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "`yinhu token create ACCOUNT`"}},
            "schemas": _schemas(),
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/me": {"get": {"summary": "The account behind the token and its communities", "responses": {"200": {"description": "account"}, **auth_errors}}},
            "/api/v1/communities/{slug}/objects": {
                "post": {"summary": "Publish an event, listing, venue or note", "parameters": [slug_param], "requestBody": body,
                         "responses": {"201": published, "422": _err("invalid content: `fields` says what is wrong with each field"), **auth_errors}},
            },
            "/api/v1/communities/{slug}/media": {
                "post": {
                    "summary": "Upload an image (JPEG, PNG, WebP, GIF; at most 10 MB and 40 megapixels)",
                    "parameters": [slug_param],
                    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                        "type": "object", "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}, "alt": {"type": "string"}}}}}},
                    "responses": {"201": {"description": "stored; use `media` in an image field"}, "413": _err("too large"),
                                  "422": _err("not an acceptable image"), **auth_errors},
                },
            },
            "/api/v1/objects/{token}": {
                "put": {"summary": "Replace an object's content (sends Update to followers)", "parameters": [token_param],
                        "requestBody": body, "responses": {"200": published, "404": _err("no such object"), "422": _err("invalid content"), **auth_errors}},
                "delete": {"summary": "Delete an object (sends Delete; its URL then answers 410)", "parameters": [token_param],
                           "responses": {"200": published, "404": _err("no such object"), **auth_errors}},
            },
        },
    }
