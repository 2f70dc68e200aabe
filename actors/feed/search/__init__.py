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

The package: ``words`` (tokens, query words, variants and synonyms), ``index`` (what is stored
and keeping it in sync), ``query`` (search and suggestions), ``highlighting`` (marking hits).
"""

from __future__ import annotations

from actors.feed.search.highlighting import (
    highlight,
)
from actors.feed.search.index import (
    MAX_PG_POSITION,
    Doc,
    index_object,
    index_objects,
    reindex,
    reindex_all,
    reindex_listings_sync,
    remove_object,
)
from actors.feed.search.query import (
    RANK_WINDOW,
    TITLE_WEIGHT,
    Form,
    Hit,
    search,
    suggest,
)
from actors.feed.search.words import (
    MAX_QUERY_TOKENS,
    MAX_QUERY_WORDS,
    MAX_SYNONYM_LENGTH,
    MAX_WORDS_INPUT,
    SYNONYMS_FILE,
    SynonymError,
    Synonyms,
    Term,
    Word,
    add_synonym,
    list_synonyms,
    load_synonyms,
    query_terms,
    query_words,
    remove_synonym,
    shipped_synonyms,
    tokenize,
)

__all__ = [
    "MAX_PG_POSITION",
    "MAX_QUERY_TOKENS",
    "MAX_QUERY_WORDS",
    "MAX_SYNONYM_LENGTH",
    "MAX_WORDS_INPUT",
    "RANK_WINDOW",
    "SYNONYMS_FILE",
    "TITLE_WEIGHT",
    "Doc",
    "Form",
    "Hit",
    "SynonymError",
    "Synonyms",
    "Term",
    "Word",
    "add_synonym",
    "highlight",
    "index_object",
    "index_objects",
    "list_synonyms",
    "load_synonyms",
    "query_terms",
    "query_words",
    "reindex",
    "reindex_all",
    "reindex_listings_sync",
    "remove_object",
    "remove_synonym",
    "search",
    "shipped_synonyms",
    "suggest",
    "tokenize",
]
