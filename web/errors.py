"""Domain errors → HTTP answers. Only this module knows status codes for them."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from actors.publishing.publishing import ContentError
from actors.social.follows import FollowError
from actors.social.local import CommunityError
from web.negotiation import json_response

__all__ = ["error_response", "exception_handlers"]

log = logging.getLogger("yinhu.web")


def error_response(request: Request, status: int, message: str, **extra: object) -> Response:
    """JSON for API and federation clients, a small HTML page for browsers."""
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "json" not in accept:
        from web.pages import render_error

        return render_error(request, status, message)
    return json_response({"error": message, **extra}, status=status)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = error_response(request, exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():  # e.g. Allow on 405
        response.headers[name] = value
    return response


async def _content(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ContentError)
    return error_response(request, 422, str(exc), fields=exc.errors)


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(request, 404, str(exc))


async def _conflict(request: Request, exc: Exception) -> Response:
    return error_response(request, 409, str(exc))


async def _database(request: Request, exc: Exception) -> Response:
    """PostgreSQL refuses U+0000 in text, wherever it came from (a path, a query, a JSON body):
    that is the client's input, answered 400. Any other database error is ours: 500."""
    if "0x00" in str(exc):
        return error_response(request, 400, "text must not contain NUL characters (U+0000)")
    return await _server(request, exc)


async def _server(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "internal error; it has been logged")


exception_handlers = {
    HTTPException: _http,
    ContentError: _content,
    CommunityError: _not_found,
    FollowError: _conflict,
    DBAPIError: _database,
    Exception: _server,
}
