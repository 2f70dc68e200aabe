"""Content negotiation: ActivityStreams JSON for federation clients, HTML for browsers."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from fedi.vocab import AP_CONTENT_TYPE

__all__ = ["AP_HEADERS", "ap_response", "json_response", "wants_activity_json"]

AP_HEADERS = {"Vary": "Accept"}


def wants_activity_json(request: Request) -> bool:
    """True for ``application/activity+json`` or any ``application/ld+json`` in Accept.

    Mastodon's URL search sends ``..., text/html;q=0.1``: still JSON. A browser's Accept never
    names either type.
    """
    accept = request.headers.get("accept", "")
    return "application/activity+json" in accept or "application/ld+json" in accept


def ap_response(body: bytes | dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(data, status_code=status, media_type=AP_CONTENT_TYPE, headers={**AP_HEADERS, **(headers or {})})


def json_response(body: Any, status: int = 200, media_type: str = "application/json", headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)
