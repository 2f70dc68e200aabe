"""Queries against the index: matching every word in one of its forms, tiers, ranking, suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy import cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from actors.feed.search.highlighting import highlight
from actors.feed.search.index import _fts, _is_sqlite, _pg
from actors.feed.search.words import (
    _CJK_CHAR,
    _TOKEN_RE,
    MAX_QUERY_TOKENS,
    MAX_QUERY_WORDS,
    MAX_WORDS_INPUT,
    Synonyms,
    Term,
    Word,
    _normalise,
    load_synonyms,
    query_terms,
    query_words,
)
from actors.storage.models import objects

TITLE_WEIGHT = 10.0  # SQLite bm25 weight of the title column (body: 1.0)
RANK_WINDOW = 5000  # at most this many (newest) matches are ranked per query


@dataclass(frozen=True)
class Hit:
    id: int  # objects.id
    rank: float  # higher is better (only comparable within one result list)
    title_match: bool  # every query word is in the title
    query: str = field(repr=False)  # what to highlight: the query and the other forms of its words
    phrase: bool = False  # the item contains the query as typed

    def highlight(self, value: str | None, *, width: int | None = 160) -> Markup:
        return highlight(value, self.query, width=width)


# A query as each engine reads it: a list of words, each a list of forms, each a list of terms.
Form = list[Term]


def _fts_term(t: Term) -> str:
    # Every token is double-quoted (tokens never contain '"'), so nothing the user typed is
    # FTS5 syntax; a prefix term is a quoted string followed by '*'.
    return f'"{t.text}"' + ("*" if t.prefix else "")


def _fts_query(words: list[list[Form]]) -> str:
    return " AND ".join(
        "(" + " OR ".join("(" + " AND ".join(_fts_term(t) for t in form) + ")" for form in forms) + ")"
        for forms in words
    )


def _fts_phrase(runs: list[Form]) -> str:
    # A quoted string of several tokens is a phrase: they must follow each other.
    return " AND ".join(
        _fts_term(run[0]) if len(run) == 1 else '"' + " ".join(t.text for t in run) + '"' for run in runs
    )


def _ts_term(t: Term, weight: str) -> str:
    flags = ("*" if t.prefix else "") + weight
    return f"'{t.text}'" + (f":{flags}" if flags else "")


def _ts_query(words: list[list[Form]], weight: str = "") -> str:
    # A tsquery literal ('篮球' & '书':*), so PostgreSQL's parser never splits a token; with
    # ``weight``, every term must be in that part (A: the title).
    return " & ".join(
        "(" + " | ".join("(" + " & ".join(_ts_term(t, weight) for t in form) + ")" for form in forms) + ")"
        for forms in words
    )


def _ts_phrase(runs: list[Form], weight: str = "") -> str:
    return " & ".join("(" + " <-> ".join(_ts_term(t, weight) for t in run) + ")" for run in runs)


def _phrase_runs(query: str) -> list[Form]:
    """The query as typed: each CJK run as its bigrams in order (a single character: a prefix),
    each other word as itself."""
    runs: list[Form] = []
    for cjk, word in _TOKEN_RE.findall(_normalise(query[:MAX_WORDS_INPUT])):
        if cjk:
            run = [Term(cjk, prefix=True)] if len(cjk) == 1 else [Term(cjk[i : i + 2]) for i in range(len(cjk) - 1)]
            runs.append(run[:MAX_QUERY_TOKENS])
        else:
            runs.append([Term(word)])
    return list({tuple(r): r for r in runs}.values())[:MAX_QUERY_WORDS]


def _forms(words: list[Word]) -> list[list[Form]]:
    out = []
    for w in words:
        forms = [f for f in (query_terms(form)[:MAX_QUERY_TOKENS] for form in w.forms) if f]
        if forms:
            out.append(forms)
    return out


@dataclass(frozen=True)
class _Parts:
    """One engine's pieces of a search: the matching rows, their score and the tiers."""

    key: Any  # the index column holding objects.id
    match: ColumnElement[bool]
    rank: Any
    title_match: ColumnElement[bool]
    phrase_title: ColumnElement[bool]
    phrase_any: ColumnElement[bool]
    source: Any  # the index joined to objects
    newest: Any  # the ids of all matches, for the ranking window


def _sqlite_parts(forms: list[list[Form]], runs: list[Form], plain: bool) -> _Parts:
    fts = literal_column("search_index")
    key = _fts.c.rowid

    def matching(q: str) -> ColumnElement[bool]:
        return key.in_(select(_fts.c.rowid).where(fts.op("MATCH")(literal(q))))

    q = _fts_query(forms)
    title_match = matching(f"title : ({q})")
    return _Parts(
        key=key,
        match=fts.op("MATCH")(literal(q)),
        rank=(-func.bm25(fts, TITLE_WEIGHT, 1.0)).label("rank"),
        title_match=title_match,
        phrase_title=title_match if plain else matching(f"title : ({_fts_phrase(runs)})"),
        phrase_any=matching(_fts_phrase(runs)),
        source=_fts.join(objects, objects.c.id == key),
        newest=select(_fts.c.rowid).where(fts.op("MATCH")(literal(q))),
    )


def _postgres_parts(forms: list[list[Form]], runs: list[Form], plain: bool) -> _Parts:
    doc = _pg.c.doc
    q_all = cast(literal(_ts_query(forms)), TSQUERY)
    title_match = doc.op("@@")(cast(literal(_ts_query(forms, "A")), TSQUERY))
    return _Parts(
        key=_pg.c.object_id,
        match=doc.op("@@")(q_all),
        rank=func.ts_rank(doc, q_all).label("rank"),
        title_match=title_match,
        phrase_title=title_match if plain else doc.op("@@")(cast(literal(_ts_phrase(runs, "A")), TSQUERY)),
        phrase_any=doc.op("@@")(cast(literal(_ts_phrase(runs)), TSQUERY)),
        source=_pg.join(objects, objects.c.id == _pg.c.object_id),
        newest=select(_pg.c.object_id).where(doc.op("@@")(q_all)),
    )


async def search(
    conn: AsyncConnection,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    filters: ColumnElement[bool] | None = None,
    synonyms: Synonyms | None = None,
) -> list[Hit]:
    """Objects that contain every word of ``query`` (in one of its forms), best first: those
    with the query as typed, in the title and then anywhere; then those with every word in the
    title; then by the engine's score.

    ``filters`` is any SQLAlchemy condition on ``actors.storage.models.objects`` (kind, community,
    dates...). Deleted objects are never returned. Blank or punctuation-only queries, and any
    input at all, return a list, never an error."""
    if limit <= 0 or not query_terms(query):
        return []
    if synonyms is None:
        synonyms = await load_synonyms(conn)
    words = query_words(query, synonyms)
    forms = _forms(words)
    runs = _phrase_runs(query)
    if not forms:
        return []
    # The query as typed is the words as typed: no phrase tier to tell apart.
    plain = all(len(f) == 1 for f in forms) and [f[0] for f in forms] == runs
    conds: list[ColumnElement[bool]] = [objects.c.deleted_at.is_(None)]
    if filters is not None:
        conds.append(filters)
    engine = (_sqlite_parts if _is_sqlite(conn) else _postgres_parts)(forms, runs, plain)
    key, match, rank, title_match = engine.key, engine.match, engine.rank, engine.title_match
    phrase_title, phrase_any, source, newest = engine.phrase_title, engine.phrase_any, engine.source, engine.newest
    # Ranking every match of a very common term (书, 活动) costs time in proportion to the
    # matches: only the newest RANK_WINDOW matches are ranked (found cheaply in id order).
    threshold = newest.order_by(newest.selected_columns[0].desc()).limit(1).offset(RANK_WINDOW - 1).scalar_subquery()
    conds.append(key >= func.coalesce(threshold, 0))
    # Each tier is computed once (the same expression twice would be evaluated twice).
    tiers = [title_match.label("title_match")]
    if not plain:
        tiers = [phrase_title.label("phrase_title"), phrase_any.label("phrase_any"), *tiers]
    stmt = (
        select(objects.c.id, rank, *tiers)
        .select_from(source)
        .where(match, *conds)
        .order_by(*(t.desc() for t in tiers), rank.desc(), objects.c.id.desc())
        .limit(limit)
        .offset(max(offset, 0))
    )
    rows = (await conn.execute(stmt)).all()
    marks = " ".join([query, *(form for w in words for form in w.forms[1:])])
    return [
        Hit(int(r.id), float(r.rank or 0.0), bool(r.title_match), marks, plain or bool(r.phrase_title or r.phrase_any))
        for r in rows
    ]


async def suggest(
    conn: AsyncConnection, query: str, *, filters: ColumnElement[bool] | None = None
) -> tuple[str, int] | None:
    """For a query that found nothing: the nearest query that finds something, and how many
    (up to 50) it finds. Tried in order: a word one character away from a known word or variant
    (篮秋 → 篮球); the query without one of its words, keeping as much of it as possible."""
    synonyms = await load_synonyms(conn)
    words = query_words(query, synonyms)
    candidates: list[list[str]] = []
    vocabulary = sorted(synonyms.known)
    for i, w in enumerate(words):
        if not _CJK_CHAR.match(w.text) or len(w.text) < 2:
            continue
        for known in vocabulary:
            if len(known) == len(w.text) and sum(a != b for a, b in zip(known, w.text, strict=True)) == 1:
                candidates.append([*(x.text for x in words[:i]), synonyms.canonical.get(known, known),
                                   *(x.text for x in words[i + 1 :])])
    # Without one word: those that keep the most characters first, then the one finding most.
    tiers: dict[int, list[list[str]]] = {}
    for i in range(len(words) if len(words) > 1 else 0):
        kept = [x.text for x in words[:i] + words[i + 1 :]]
        tiers.setdefault(sum(len(x) for x in kept), []).append(kept)
    for group in [candidates, *(tiers[n] for n in sorted(tiers, reverse=True))]:
        best: tuple[str, int] | None = None
        for kept in group:
            found = len(await search(conn, " ".join(kept), limit=50, filters=filters, synonyms=synonyms))
            if found and (best is None or found > best[1]):
                best = (" ".join(kept), found)
        if best is not None:
            return best
    return None
