"""Objects other instances publish (notes now; events, listings and venues build on this)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row

from actors.instance import Instance
from actors.models import objects
from actors.text import sanitize_html
from fedi import vocab

__all__ = ["STORED_TYPES", "OriginError", "store_remote_object", "delete_remote_object", "parse_time"]

STORED_TYPES = frozenset({"Note", "Article", "Page", "Event", "Place", "Question"})


class OriginError(Exception):
    """An actor tried to create, change or delete an object that is not on its own origin."""


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _content(obj: dict[str, Any]) -> tuple[str, str | None]:
    content = obj.get("content")
    language = None
    content_map = obj.get("contentMap")
    if isinstance(content_map, dict) and content_map:
        language, mapped = next(iter(content_map.items()))
        if not isinstance(content, str):
            content = mapped
    return sanitize_html(content if isinstance(content, str) else ""), language


async def store_remote_object(inst: Instance, author: Row[Any], obj: dict[str, Any], *, update_only: bool = False) -> str:
    """Create or update a remote object. Only its author, on its own origin, may do either;
    an update applies only when it is newer than what we hold. Returns what happened."""
    uri = obj.get("id")
    if not isinstance(uri, str):
        raise OriginError("object without an id")
    if _host(uri) != _host(author.uri):
        raise OriginError(f"{author.uri} cannot publish {uri}: another origin")
    attributed = vocab.get_id(obj.get("attributedTo"))
    if attributed is not None and attributed != author.uri:
        raise OriginError(f"{uri} is attributed to {attributed}, not to {author.uri}")
    content, language = _content(obj)
    published = parse_time(obj.get("published")) or inst.clock()
    updated = parse_time(obj.get("updated"))
    values = {
        "type": str(obj.get("type"))[:32],
        "content": content,
        "language": language,
        "raw": orjson.dumps(obj).decode(),
        "updated": updated,
    }
    async with inst.engine.begin() as conn:
        row = (await conn.execute(select(objects.c.id, objects.c.actor_id, objects.c.updated, objects.c.deleted_at).where(objects.c.uri == uri))).first()
        if row is None:
            if update_only:
                values["updated"] = updated
            await conn.execute(
                insert(objects).values(uri=uri, actor_id=author.id, local=False, published=published, **values)
            )
            return "stored"
        if row.actor_id != author.id:
            raise OriginError(f"{uri} belongs to another actor")
        if row.deleted_at is not None:
            return "ignored: deleted before"
        if row.updated is not None and (updated is None or updated <= row.updated):
            return "ignored: not newer than the stored version"
        await conn.execute(update(objects).where(objects.c.id == row.id).values(**values))
        return "updated"


async def delete_remote_object(inst: Instance, author: Row[Any], uri: str) -> str:
    async with inst.engine.begin() as conn:
        row = (await conn.execute(select(objects.c.id, objects.c.actor_id).where(objects.c.uri == uri))).first()
        if row is None:
            return "ignored: unknown object"
        if row.actor_id != author.id:
            raise OriginError(f"{author.uri} cannot delete {uri}")
        await conn.execute(update(objects).where(objects.c.id == row.id).values(deleted_at=inst.clock()))
        return "deleted"
