"""Reading multipart forms with a hard cap on the whole body, counted as it arrives.

Starlette's ``max_part_size`` limits text fields only, and Content-Length may be absent
(chunked uploads), so the cap is enforced on the received bytes themselves: nothing larger is
ever spooled to disk.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message

__all__ = ["MB", "BadForm", "UploadTooLarge", "read_capped_form"]

MB = 1024 * 1024


class UploadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"upload larger than {limit // MB} MB")


class BadForm(Exception):
    """A malformed multipart body, or more files or fields than allowed."""


async def read_capped_form(request: Request, *, limit: int, max_files: int, max_fields: int = 200, max_part_size: int) -> FormData:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UploadTooLarge(limit)
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise UploadTooLarge(limit)
        return message

    capped = Request(request.scope, receive)
    try:
        return await capped.form(max_files=max_files, max_fields=max_fields, max_part_size=max_part_size)
    except HTTPException as exc:
        raise BadForm(str(exc.detail)) from exc
