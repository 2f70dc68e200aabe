"""Showing a hit: what a query matched, marked in the text, cut to a snippet around it."""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

from actors.feed.search.words import _CJK_CHAR, query_terms


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
