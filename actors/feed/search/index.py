"""The search index: tokens stored per object (FTS5 on SQLite, tsvector on PostgreSQL), kept in sync."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import column, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed.search.words import tokenize
from actors.storage.models import actors, objects
from actors.storage.text import html_to_text
from fedi.content import automatic_hashtags

MAX_PG_POSITION = 16383  # PostgreSQL's largest tsvector position


_fts = table("search_index", column("rowid"), column("title"), column("body"))
_pg = table("search_index", column("object_id"), column("doc"))


def _is_sqlite(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "sqlite"


def _tsvector(title: list[str], body: list[str]) -> str:
    """A tsvector literal: every token with its positions, title weight A and body weight B."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for weight, tokens in (("A", title), ("B", body)):
        for tok in tokens:
            pos = min(pos + 1, MAX_PG_POSITION)
            positions.setdefault(tok, []).append(f"{pos}{weight}")
    # Tokens are letters and digits only; quoting keeps them whole (no quotes to escape).
    return " ".join(f"'{tok}':{','.join(p[:256])}" for tok, p in positions.items())


async def index_object(conn: AsyncConnection, object_id: int, title: str | None, body_text: str | None, extra: Iterable[str | None] = ()) -> None:
    """Put (or replace) one object in the index: ``title`` ranks above ``body_text`` and ``extra``
    (place name, address, tags, category, community name...)."""
    await index_objects(conn, [(object_id, title, body_text, extra)])


Doc = tuple[int, str | None, str | None, Iterable[str | None]]


def _index_statements(sqlite: bool, docs: Iterable[Doc]) -> list[tuple[Any, list[dict[str, Any]]]]:
    rows = []
    for object_id, title, body_text, extra in docs:
        title_tokens = tokenize(title)
        body_tokens = tokenize(body_text)
        for item in extra:
            body_tokens.extend(tokenize(item))
        rows.append((object_id, title_tokens, body_tokens))
    if not rows:
        return []
    if sqlite:
        return [
            (text("DELETE FROM search_index WHERE rowid = :id"), [{"id": r[0]} for r in rows]),
            (
                text("INSERT INTO search_index (rowid, title, body) VALUES (:id, :title, :body)"),
                [{"id": i, "title": " ".join(t), "body": " ".join(b)} for i, t, b in rows],
            ),
        ]
    return [(
        text(
            "INSERT INTO search_index (object_id, doc) VALUES (:id, CAST(:doc AS tsvector)) "
            "ON CONFLICT (object_id) DO UPDATE SET doc = EXCLUDED.doc"
        ),
        [{"id": i, "doc": _tsvector(t, b)} for i, t, b in rows],
    )]


async def index_objects(conn: AsyncConnection, docs: Iterable[Doc]) -> None:
    """:func:`index_object` for many objects at once (one round trip per statement)."""
    for stmt, params in _index_statements(_is_sqlite(conn), docs):
        await conn.execute(stmt, params)


async def remove_object(conn: AsyncConnection, object_id: int) -> None:
    """Take one object out of the index (deleted objects must not be found)."""
    key = "rowid" if _is_sqlite(conn) else "object_id"
    await conn.execute(text(f"DELETE FROM search_index WHERE {key} = :id"), {"id": object_id})


_ROW_COLUMNS = (
    objects.c.id, objects.c.name, objects.c.content, objects.c.place_name, objects.c.address,
    objects.c.tags, objects.c.category, objects.c.deleted_at, actors.c.name.label("community"),
    objects.c.kind, objects.c.listing_kind, objects.c.purpose,
)


def _without_automatic_hashtags(body: str, row: Any) -> str:
    """A listing's text without the hashtags every listing of its kind carries (#二手 #闲置 on a
    goods offer, as Mastodon is sent them), unless the author chose them too."""
    if row.kind != "listing":
        return body
    own = set((row.tags or "").split())
    auto = [t for t in automatic_hashtags(row.listing_kind, row.purpose) if t not in own]
    if not auto:
        return body
    return re.sub("[#＃](?:" + "|".join(map(re.escape, auto)) + r")(?!\w)", " ", body)


def _row_texts(row: Any) -> tuple[str | None, str, list[str | None]]:
    body = _without_automatic_hashtags(html_to_text(row.content or ""), row)
    return row.name, body, [row.place_name, row.address, row.tags, row.category, row.community]


def reindex_listings_sync(conn: Connection, *, batch: int = 1000) -> int:
    """Index every listing again, on a synchronous connection (for a migration): what changed
    in how listings are indexed applies to those already stored. Returns how many."""
    sqlite = conn.dialect.name == "sqlite"
    last, count = 0, 0
    while True:
        rows = conn.execute(
            select(*_ROW_COLUMNS)
            .select_from(objects.join(actors, actors.c.id == objects.c.actor_id))
            .where(objects.c.id > last, objects.c.kind == "listing", objects.c.deleted_at.is_(None))
            .order_by(objects.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return count
        for stmt, params in _index_statements(sqlite, [(row.id, *_row_texts(row)) for row in rows]):
            conn.execute(stmt, params)
        count += len(rows)
        last = rows[-1].id


async def reindex(conn: AsyncConnection, *, uri: str | None = None, object_id: int | None = None) -> None:
    """(Re)index one stored object from its row, or remove it when it is deleted or gone.
    Call it after inserting or updating the object, in the same transaction."""
    if (uri is None) == (object_id is None):
        raise TypeError("reindex() takes exactly one of uri= or object_id=")
    where = objects.c.uri == uri if uri is not None else objects.c.id == object_id
    row = (
        await conn.execute(select(*_ROW_COLUMNS).select_from(objects.join(actors, actors.c.id == objects.c.actor_id)).where(where))
    ).first()
    if row is None:
        if object_id is not None:
            await remove_object(conn, object_id)
        return
    if row.deleted_at is not None:
        await remove_object(conn, row.id)
        return
    title, body, extra = _row_texts(row)
    await index_object(conn, row.id, title, body, extra)


async def reindex_all(inst: Any, *, batch: int = 1000) -> int:
    """Rebuild the whole index from the objects table (e.g. after an import); returns how many
    objects are indexed. Runs in batches, each its own transaction."""
    async with inst.engine.begin() as conn:
        await conn.execute(text("DELETE FROM search_index"))
    last = 0
    count = 0
    while True:
        async with inst.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(*_ROW_COLUMNS)
                    .select_from(objects.join(actors, actors.c.id == objects.c.actor_id))
                    .where(objects.c.id > last, objects.c.deleted_at.is_(None))
                    .order_by(objects.c.id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return count
            await index_objects(conn, [(row.id, *_row_texts(row)) for row in rows])
            count += len(rows)
            last = rows[-1].id
