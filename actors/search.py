"""Full-text search that works for Chinese, on SQLite and PostgreSQL through one code path.

Chinese is written without spaces, so neither database's word tokenizer finds 篮球 in
"周六篮球友谊赛". We tokenize in Python instead and hand the databases ready-made tokens:

* text is NFKC-normalised (full-width ``Ｐｙｔｈｏｎ１２`` becomes ``python12``) and lowercased;
* a run of CJK characters (Han, kana, hangul) gives its overlapping bigrams
  (``周六篮球`` → ``周六 六篮 篮球``) and, as a unigram, its last character (a one-character
  run is its own unigram);
* a run of other letters/digits is one word (``python``, ``2026``).

A query is tokenized the same way and every token is required (AND). A one-character CJK
query is a *prefix* query (``书*``): it matches every bigram starting with 书 and, thanks to
the run-final unigrams, a 书 at the end of a run too, so it finds the character anywhere
without indexing every character twice. Every token is quoted before it reaches the
database, so user input can never be read as query syntax.

Storage (created by migration 0003):

* SQLite: ``search_index``, an FTS5 table (``tokenize='ascii'``, so our tokens are kept as
  they are) with columns ``title`` and ``body``; its rowid is ``objects.id``. Ranked with
  ``bm25`` (title weighted 10, body 1).
* PostgreSQL: ``search_index(object_id PK → objects.id, doc tsvector)`` with a GIN index. The
  tsvector is written literally (title tokens weight A, body tokens weight B, with positions)
  and queries are tsquery literals, so PostgreSQL's own parser never splits a token. Ranked
  with ``ts_rank``.

Whatever the engine's score, items whose *title* matches every token come first.

Keeping it in sync: call :func:`reindex` (by uri or id) after an object is inserted or
updated, and :func:`remove_object` when it is deleted, on the same connection, inside the
same transaction. :func:`reindex_all` rebuilds everything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import cast, column, func, literal, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from actors.models import actors, objects
from actors.text import html_to_text

__all__ = [
    "SEARCH_TABLES",
    "Hit",
    "highlight",
    "index_object",
    "index_objects",
    "query_terms",
    "reindex",
    "reindex_all",
    "remove_object",
    "search",
    "tokenize",
]

# Tables the search index owns (SQLite's FTS5 keeps shadow tables beside it); schema
# autogeneration must leave them alone.
SEARCH_TABLES = frozenset(
    {"search_index"} | {f"search_index_{s}" for s in ("data", "idx", "content", "docsize", "config")}
)

TITLE_WEIGHT = 10.0  # SQLite bm25 weight of the title column (body: 1.0)
RANK_WINDOW = 5000  # at most this many (newest) matches are ranked per query
MAX_QUERY_TOKENS = 32  # a pasted essay is not a query: the first 32 tokens decide
MAX_PG_POSITION = 16383  # PostgreSQL's largest tsvector position

_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # extensions B–G
)
# A CJK run, or a run of other letters/digits (\w without "_" and without CJK).
_TOKEN_RE = re.compile(rf"([{_CJK}]+)|((?:(?![{_CJK}])[^\W_])+)")


def _normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).lower()


def _run_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    out = [run[i : i + 2] for i in range(len(run) - 1)]
    out.append(run[-1])
    return out


def tokenize(value: str | None) -> list[str]:
    """The index tokens of a text, in order (duplicates kept: they count for ranking)."""
    if not value:
        return []
    out: list[str] = []
    for cjk, word in _TOKEN_RE.findall(_normalise(value)):
        if cjk:
            out.extend(_run_tokens(cjk))
        else:
            out.append(word)
    return out


@dataclass(frozen=True)
class Term:
    """One required query term: a CJK bigram or word, or a prefix (a single CJK character)."""

    text: str
    prefix: bool = False


def query_terms(query: str | None) -> list[Term]:
    """What a user's query requires, deduplicated; empty for blank or punctuation-only input."""
    if not query:
        return []
    seen: dict[Term, None] = {}
    for cjk, word in _TOKEN_RE.findall(_normalise(query[:1000])):
        if cjk:
            if len(cjk) == 1:
                seen.setdefault(Term(cjk, prefix=True), None)
            else:
                for i in range(len(cjk) - 1):
                    seen.setdefault(Term(cjk[i : i + 2]), None)
        else:
            seen.setdefault(Term(word), None)
    return list(seen)[:MAX_QUERY_TOKENS]


# --- the index ------------------------------------------------------------------------------

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


async def index_objects(conn: AsyncConnection, docs: Iterable[tuple[int, str | None, str | None, Iterable[str | None]]]) -> None:
    """:func:`index_object` for many objects at once (one round trip per statement)."""
    rows = []
    for object_id, title, body_text, extra in docs:
        title_tokens = tokenize(title)
        body_tokens = tokenize(body_text)
        for item in extra:
            body_tokens.extend(tokenize(item))
        rows.append((object_id, title_tokens, body_tokens))
    if not rows:
        return
    if _is_sqlite(conn):
        await conn.execute(text("DELETE FROM search_index WHERE rowid = :id"), [{"id": r[0]} for r in rows])
        await conn.execute(
            text("INSERT INTO search_index (rowid, title, body) VALUES (:id, :title, :body)"),
            [{"id": i, "title": " ".join(t), "body": " ".join(b)} for i, t, b in rows],
        )
    else:
        await conn.execute(
            text(
                "INSERT INTO search_index (object_id, doc) VALUES (:id, CAST(:doc AS tsvector)) "
                "ON CONFLICT (object_id) DO UPDATE SET doc = EXCLUDED.doc"
            ),
            [{"id": i, "doc": _tsvector(t, b)} for i, t, b in rows],
        )


async def remove_object(conn: AsyncConnection, object_id: int) -> None:
    """Take one object out of the index (deleted objects must not be found)."""
    key = "rowid" if _is_sqlite(conn) else "object_id"
    await conn.execute(text(f"DELETE FROM search_index WHERE {key} = :id"), {"id": object_id})


_ROW_COLUMNS = (
    objects.c.id, objects.c.name, objects.c.content, objects.c.place_name, objects.c.address,
    objects.c.tags, objects.c.category, objects.c.deleted_at, actors.c.name.label("community"),
)


def _row_texts(row: Any) -> tuple[str | None, str, list[str | None]]:
    return row.name, html_to_text(row.content or ""), [row.place_name, row.address, row.tags, row.category, row.community]


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


# --- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    id: int  # objects.id
    rank: float  # higher is better (only comparable within one result list)
    title_match: bool  # every query term is in the title
    query: str = field(repr=False)

    def highlight(self, value: str | None, *, width: int | None = 160) -> Markup:
        return highlight(value, self.query, width=width)


def _fts_query(terms: list[Term]) -> str:
    # Every token is double-quoted (tokens never contain '"'), so nothing the user typed is
    # FTS5 syntax; a prefix term is a quoted string followed by '*'.
    return " AND ".join(f'"{t.text}"' + ("*" if t.prefix else "") for t in terms)


def _ts_query(terms: list[Term], weight: str = "") -> str:
    # A tsquery literal ('篮球' & '书':*), so PostgreSQL's parser never splits a token; with
    # ``weight``, every term must be in that part (A: the title).
    parts = []
    for t in terms:
        flags = ("*" if t.prefix else "") + weight
        parts.append(f"'{t.text}'" + (f":{flags}" if flags else ""))
    return " & ".join(parts)


async def search(
    conn: AsyncConnection,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    filters: ColumnElement[bool] | None = None,
) -> list[Hit]:
    """Objects matching every term of ``query``, best first (title matches before the rest).

    ``filters`` is any SQLAlchemy condition on ``actors.models.objects`` (kind, community,
    dates...). Deleted objects are never returned. Blank or punctuation-only queries, and any
    input at all, return a list, never an error."""
    terms = query_terms(query)
    if not terms or limit <= 0:
        return []
    conds: list[ColumnElement[bool]] = [objects.c.deleted_at.is_(None)]
    if filters is not None:
        conds.append(filters)
    if _is_sqlite(conn):
        q = _fts_query(terms)
        fts = literal_column("search_index")
        match = fts.op("MATCH")(literal(q))
        key = _fts.c.rowid
        rank = (-func.bm25(fts, TITLE_WEIGHT, 1.0)).label("rank")
        in_title = select(_fts.c.rowid).where(fts.op("MATCH")(literal(f"title : ({q})")))
        title_match = key.in_(in_title).label("title_match")
        source = _fts.join(objects, objects.c.id == key)
        newest = select(_fts.c.rowid).where(fts.op("MATCH")(literal(q)))
    else:
        doc = _pg.c.doc
        q_all = cast(literal(_ts_query(terms)), TSQUERY)
        match = doc.op("@@")(q_all)
        key = _pg.c.object_id
        rank = func.ts_rank(doc, q_all).label("rank")
        title_match = doc.op("@@")(cast(literal(_ts_query(terms, "A")), TSQUERY)).label("title_match")
        source = _pg.join(objects, objects.c.id == key)
        newest = select(_pg.c.object_id).where(doc.op("@@")(q_all))
    # Ranking every match of a very common term (书, 活动) costs time in proportion to the
    # matches: only the newest RANK_WINDOW matches are ranked (found cheaply in id order).
    threshold = newest.order_by(newest.selected_columns[0].desc()).limit(1).offset(RANK_WINDOW - 1).scalar_subquery()
    conds.append(key >= func.coalesce(threshold, 0))
    stmt = (
        select(objects.c.id, rank, title_match)
        .select_from(source)
        .where(match, *conds)
        .order_by(title_match.desc(), rank.desc(), objects.c.id.desc())
        .limit(limit)
        .offset(max(offset, 0))
    )
    rows = (await conn.execute(stmt)).all()
    return [Hit(int(r.id), float(r.rank or 0.0), bool(r.title_match), query) for r in rows]


# --- highlighting ---------------------------------------------------------------------------


def _normalise_with_map(value: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index of the original one."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(value):
        norm = ch if ch.isascii() else unicodedata.normalize("NFKC", ch)
        norm = norm.lower()
        chars.append(norm)
        where.extend([i] * len(norm))
    return "".join(chars), where


def _marks(value: str, query: str) -> list[bool]:
    norm, where = _normalise_with_map(value)
    marked = [False] * len(value)
    for term in query_terms(query):
        cjk = bool(_CJK_CHAR.match(term.text))
        for m in re.finditer(re.escape(term.text), norm):
            a, b = m.start(), m.end()
            # A word matches whole words only (as the index has them); a bigram anywhere.
            if not cjk and ((a > 0 and _is_word(norm[a - 1])) or (b < len(norm) and _is_word(norm[b]))):
                continue
            for j in range(a, b):
                marked[where[j]] = True
    return marked


_CJK_CHAR = re.compile(rf"[{_CJK}]")


def _is_word(ch: str) -> bool:
    """A character of a (non-CJK) word token."""
    return (ch.isalnum() or unicodedata.category(ch).startswith("M")) and not _CJK_CHAR.match(ch)


def highlight(value: str | None, query: str, *, width: int | None = 160) -> Markup:
    """``value`` HTML-escaped, with ``<mark>`` around what ``query`` matched (adjacent matches
    merged). With ``width``, a longer text is cut to a snippet of about that many characters
    around the first match, with "…" where it was cut."""
    if not value:
        return Markup("")
    marked = _marks(value, query)
    start, end = 0, len(value)
    if width is not None and len(value) > width:
        first = next((i for i, m in enumerate(marked) if m), 0)
        start = max(0, min(first - width // 4, len(value) - width))
        end = start + width
    out: list[str] = ["…" if start > 0 else ""]
    i = start
    while i < end:
        j = i
        while j < end and marked[j] == marked[i]:
            j += 1
        piece = str(escape(value[i:j]))
        out.append(f"<mark>{piece}</mark>" if marked[i] else piece)
        i = j
    if end < len(value):
        out.append("…")
    return Markup("".join(out))
