"""Full-text search that works for Chinese, on SQLite and PostgreSQL through one code path.

Chinese is written without spaces, so neither database's word tokenizer finds 篮球 in
"周六篮球友谊赛". We tokenize in Python instead and hand the databases ready-made tokens:

* text is NFKC-normalised (full-width ``Ｐｙｔｈｏｎ１２`` becomes ``python12``) and lowercased;
* a run of CJK characters (Han, kana, hangul) gives its overlapping bigrams
  (``周六篮球`` → ``周六 六篮 篮球``) and, as a unigram, its last character (a one-character
  run is its own unigram);
* a run of other letters/digits is one word (``python``, ``2026``).

A query is first cut into words (rjieba, jieba's Rust port: 周末亲子活动 → 周末 亲子 活动) and
each word widened with its variants and synonyms (the ``search_synonyms`` table, seeded from
``search_synonyms.txt``: 瑜珈 → 瑜伽, 单车 → 自行车). An item must contain every word (in any
order, anywhere) in one of its forms; a word is matched as its tokens (its bigrams), so the
texts need no segmenting: cutting them too would make a word findable only where the segmenter
cut the text as it cut the query (亲子活动 in a text, as one word, would hide 亲子). Items that contain the query exactly as typed (a phrase) come first, then
those with every word in the title, then the engine's score. A one-character CJK
query is a *prefix* query (``书*``): it matches every bigram starting with 书 and, thanks to
the run-final unigrams, a 书 at the end of a run too, so it finds the character anywhere
without indexing every character twice. Every token is quoted before it reaches the
database, so user input can never be read as query syntax.

Storage (created by migration 0003; ``search_synonyms(term PK, canonical, builtin)`` by 0010):

* SQLite: ``search_index``, an FTS5 table (``tokenize='ascii'``, so our tokens are kept as
  they are) with columns ``title`` and ``body``; its rowid is ``objects.id``. Ranked with
  ``bm25`` (title weighted 10, body 1).
* PostgreSQL: ``search_index(object_id PK → objects.id, doc tsvector)`` with a GIN index. The
  tsvector is written literally (title tokens weight A, body tokens weight B, with positions)
  and queries are tsquery literals, so PostgreSQL's own parser never splits a token. Ranked
  with ``ts_rank``.

The automatic hashtags of a listing (二手 闲置 on goods offers, fedi.content) are for
Mastodon readers: they are left out of the index unless the author tagged the item so too.

Keeping it in sync: call :func:`reindex` (by uri or id) after an object is inserted or
updated, and :func:`remove_object` when it is deleted, on the same connection, inside the
same transaction. :func:`reindex_all` rebuilds everything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rjieba
from markupsafe import Markup, escape
from sqlalchemy import cast, column, func, literal, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from actors.storage.models import actors, objects
from actors.storage.text import html_to_text
from fedi.content import automatic_hashtags

__all__ = [
    "Hit",
    "SynonymError",
    "Word",
    "add_synonym",
    "highlight",
    "index_object",
    "index_objects",
    "list_synonyms",
    "query_terms",
    "query_words",
    "reindex",
    "reindex_all",
    "remove_object",
    "remove_synonym",
    "search",
    "shipped_synonyms",
    "suggest",
    "tokenize",
]

TITLE_WEIGHT = 10.0  # SQLite bm25 weight of the title column (body: 1.0)
RANK_WINDOW = 5000  # at most this many (newest) matches are ranked per query
MAX_QUERY_TOKENS = 32  # a pasted essay is not a query: the first 32 tokens decide
MAX_QUERY_WORDS = 8  # ... and the first 8 words
MAX_WORDS_INPUT = 100  # characters of a query cut into words (what a search box is for)
MAX_SYNONYM_LENGTH = 32
SYNONYMS_FILE = Path(__file__).with_name("search_synonyms.txt")
# One-character words a query can do without (周末的亲子活动 needs no 的, 我想买二手单车 no 我 or 买).
_STOPWORDS = frozenset("的了和与及或在是吗呢啊吧呀个想要找请有我你他她它们这那哪谁也都就还去来到给让被把对从向跟等买卖")
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


# --- words, variants and synonyms -----------------------------------------------------------

_syn = table("search_synonyms", column("term"), column("canonical"), column("builtin"))


class SynonymError(ValueError):
    """A variant/synonym an admin asked for that cannot be stored (the message says why)."""


def shipped_synonyms() -> list[tuple[str, str]]:
    """The (variant, canonical) pairs of search_synonyms.txt, normalised."""
    pairs = []
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].split()
        if len(line) == 2:
            pairs.append((_normalise(line[0]), _normalise(line[1])))
    return pairs


@dataclass(frozen=True)
class Synonyms:
    canonical: dict[str, str]  # variant -> canonical
    groups: dict[str, frozenset[str]]  # canonical -> itself and its variants

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Synonyms:
        canonical = dict(pairs)
        groups: dict[str, set[str]] = {}
        for term, canon in canonical.items():
            groups.setdefault(canon, {canon}).add(term)
        return cls(canonical, {k: frozenset(v) for k, v in groups.items()})

    def forms(self, word: str) -> tuple[str, ...]:
        """The word first, then every other form that counts for it."""
        canon = self.canonical.get(word, word)
        out = dict.fromkeys([word, *sorted(self.groups.get(canon, ()))])
        # A variant inside a longer word (瑜珈垫 → 瑜伽垫), unless the word already has the right form.
        for term, canon in self.canonical.items():
            if len(term) > 1 and term in word and canon not in word:
                out.setdefault(word.replace(term, canon), None)
        return tuple(out)[:8]

    @property
    def known(self) -> frozenset[str]:
        return frozenset(self.canonical) | frozenset(self.groups)


async def load_synonyms(conn: AsyncConnection) -> Synonyms:
    rows = (await conn.execute(select(_syn.c.term, _syn.c.canonical))).all()
    return Synonyms.of((r.term, r.canonical) for r in rows)


def _validate_synonym(value: str, what: str) -> str:
    norm = _normalise(value.strip())
    if len(norm) > MAX_SYNONYM_LENGTH or not _TOKEN_RE.fullmatch(norm):
        raise SynonymError(f"{what} {value!r}: one word of letters, digits or CJK characters, at most {MAX_SYNONYM_LENGTH}")
    return norm


async def add_synonym(conn: AsyncConnection, variant: str, canonical: str) -> tuple[str, str]:
    """Make ``variant`` find what ``canonical`` finds (and the other way round). A canonical that
    is itself a variant is followed to its own canonical, so groups never chain."""
    term, canon = _validate_synonym(variant, "variant"), _validate_synonym(canonical, "canonical")
    known = await load_synonyms(conn)
    canon = known.canonical.get(canon, canon)
    if term == canon:
        raise SynonymError(f"{variant!r} and {canonical!r} are the same word")
    if term in known.groups:
        raise SynonymError(f"{term!r} is the canonical form of {sorted(known.groups[term] - {term})}: remove those first")
    await conn.execute(_syn.delete().where(_syn.c.term == term))
    await conn.execute(_syn.insert().values(term=term, canonical=canon, builtin=False))
    return term, canon


async def remove_synonym(conn: AsyncConnection, variant: str) -> bool:
    """Forget one variant (shipped or added); False when it was not there."""
    result = await conn.execute(_syn.delete().where(_syn.c.term == _normalise(variant.strip())))
    return bool(result.rowcount)


async def list_synonyms(conn: AsyncConnection) -> list[tuple[str, str, bool]]:
    """(variant, canonical, shipped) for every variant, by canonical."""
    rows = (await conn.execute(select(_syn.c.term, _syn.c.canonical, _syn.c.builtin).order_by(_syn.c.canonical, _syn.c.term))).all()
    return [(r.term, r.canonical, bool(r.builtin)) for r in rows]


@dataclass(frozen=True)
class Word:
    """One word of a query and the forms that count for it (the typed form first)."""

    forms: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.forms[0]


def _tile(word: str) -> list[str] | None:
    """A long word as the shorter words it is made of (亲子活动 → 亲子 活动), if they cover it
    exactly; None when they do not (二手书 → 二手 + 书: 书 is not one of them)."""
    parts = {p for p in rjieba.cut_for_search(word) if p != word and len(p) > 1}
    out, i = [], 0
    while i < len(word):
        best = max((p for p in parts if word.startswith(p, i)), key=len, default=None)
        if best is None:
            return None
        out.append(best)
        i += len(best)
    return out


def _segment(run: str, known: frozenset[str]) -> list[str]:
    """A CJK run cut into words; variants and synonyms the table knows are kept whole (the
    leftmost, longest first), the rest is cut by rjieba."""
    words: list[str] = []
    rest = 0  # start of the text not yet cut

    def cut(piece: str) -> None:
        for w in rjieba.cut(piece) if piece else ():
            words.extend(_tile(w) or [w] if len(w) > 2 else [w])

    i = 0
    while i < len(run):
        n = next((n for n in range(min(len(run) - i, MAX_SYNONYM_LENGTH), 1, -1) if run[i : i + n] in known), 0)
        if n:
            cut(run[rest:i])
            words.append(run[i : i + n])
            i = rest = i + n
        else:
            i += 1
    cut(run[rest:])
    return words


def query_words(query: str | None, synonyms: Synonyms | None = None) -> list[Word]:
    """The words of a query (deduplicated, at most MAX_QUERY_WORDS), each with its forms."""
    if not query:
        return []
    syn = synonyms or Synonyms({}, {})
    known = syn.known
    texts: list[str] = []
    for cjk, word in _TOKEN_RE.findall(_normalise(query[:MAX_WORDS_INPUT])):
        texts.extend(_segment(cjk, known) if cjk else [word])
    kept = [t for t in texts if t not in _STOPWORDS] or texts
    return [Word(syn.forms(t)) for t in dict.fromkeys(kept)][:MAX_QUERY_WORDS]


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


# --- queries --------------------------------------------------------------------------------


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
    if _is_sqlite(conn):
        fts = literal_column("search_index")
        key = _fts.c.rowid

        def matching(q: str) -> ColumnElement[bool]:
            return key.in_(select(_fts.c.rowid).where(fts.op("MATCH")(literal(q))))

        q = _fts_query(forms)
        match = fts.op("MATCH")(literal(q))
        rank = (-func.bm25(fts, TITLE_WEIGHT, 1.0)).label("rank")
        title_match = matching(f"title : ({q})")
        phrase_title = title_match if plain else matching(f"title : ({_fts_phrase(runs)})")
        phrase_any = matching(_fts_phrase(runs))
        source = _fts.join(objects, objects.c.id == key)
        newest = select(_fts.c.rowid).where(fts.op("MATCH")(literal(q)))
    else:
        doc = _pg.c.doc
        q_all = cast(literal(_ts_query(forms)), TSQUERY)
        match = doc.op("@@")(q_all)
        key = _pg.c.object_id
        rank = func.ts_rank(doc, q_all).label("rank")
        title_match = doc.op("@@")(cast(literal(_ts_query(forms, "A")), TSQUERY))
        phrase_title = title_match if plain else doc.op("@@")(cast(literal(_ts_phrase(runs, "A")), TSQUERY))
        phrase_any = doc.op("@@")(cast(literal(_ts_phrase(runs)), TSQUERY))
        source = _pg.join(objects, objects.c.id == key)
        newest = select(_pg.c.object_id).where(doc.op("@@")(q_all))
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
