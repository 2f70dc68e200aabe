"""The ``{name:int}`` and ``{name}`` path convertors, made to refuse what no database can hold.

Starlette's own accepts any run of digits, and ``/items/99999999999999999999`` then overflowed
the database's 64-bit integer (a 500). Here such a number becomes ``-1``, an id no row has, so
the handler answers its usual 404 with its own reason. Registered when the ``web`` package is
imported, before any module builds its routes (a route keeps the convertor it was built with).
"""

from __future__ import annotations

from starlette.convertors import IntegerConvertor, StringConvertor, register_url_convertor

__all__ = ["MAX_ID", "DatabaseIdConvertor", "TextConvertor"]

MAX_ID = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite


class DatabaseIdConvertor(IntegerConvertor):
    """``int`` path parameters within the database's range; larger ones match no row (-1)."""

    def convert(self, value: str) -> int:
        return int(value) if len(value) <= 19 and int(value) <= MAX_ID else -1


class TextConvertor(StringConvertor):
    """``{name}`` path parameters without NUL (PostgreSQL refuses U+0000 in text): such a path
    matches no route and answers 404."""

    regex = r"[^/\x00]+"


register_url_convertor("int", DatabaseIdConvertor())
register_url_convertor("str", TextConvertor())
