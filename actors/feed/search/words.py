"""Text into search tokens, queries into words, and the words' variants and synonyms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import rjieba
from sqlalchemy import column, select, table
from sqlalchemy.ext.asyncio import AsyncConnection

MAX_QUERY_TOKENS = 32  # a pasted essay is not a query: the first 32 tokens decide
MAX_QUERY_WORDS = 8  # ... and the first 8 words
MAX_WORDS_INPUT = 100  # characters of a query cut into words (what a search box is for)
MAX_SYNONYM_LENGTH = 32
SYNONYMS_FILE = Path(__file__).with_name("search_synonyms.txt")
# One-character words a query can do without (周末的亲子活动 needs no 的, 我想买二手单车 no 我 or 买).
_STOPWORDS = frozenset("的了和与及或在是吗呢啊吧呀个想要找请有我你他她它们这那哪谁也都就还去来到给让被把对从向跟等买卖")

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
_CJK_CHAR = re.compile(rf"[{_CJK}]")


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
