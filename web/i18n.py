"""UI strings in zh-CN (the default) and English, chosen per request.

Catalogs are JSON files in ``web/locales``; the key is the English text's id. A test checks
that every key exists in every catalog, so English is always complete.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from starlette.requests import Request

__all__ = ["DEFAULT", "LANGUAGES", "Translator", "catalog", "pick_language", "translator"]

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"
LOCALES = Path(__file__).parent / "locales"


@cache
def catalog(lang: str) -> dict[str, str]:
    """``{lang}.json`` merged with every ``{lang}.<part>.json`` (one part per area of the UI)."""
    merged: dict[str, str] = {}
    for path in sorted(LOCALES.glob(f"{lang}*.json")):
        if path.name == f"{lang}.json" or path.name.startswith(f"{lang}."):
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def pick_language(request: Request) -> str:
    """``?lang=`` first, then the ``lang`` cookie, then Accept-Language (English only when a
    reader's browser prefers it over Chinese), else zh-CN."""
    for value in (request.query_params.get("lang"), request.cookies.get("lang")):
        if value in LANGUAGES:
            return value
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


class Translator:
    """``_(key, **values)``: the catalog's text for ``key`` in this language (English when a
    key has no translation yet, the key itself when it has none at all); with ``n=1``, its
    ``key.one`` when the catalog has one (English's singulars live in ``en.plurals.json``). ``_.problem(message)``:
    a validator's or filter's message (``fedi.problems.Problem``) in this language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.strings = catalog(lang)

    def __call__(self, key: str, **kw: object) -> str:
        text = self.strings.get(key) or catalog("en").get(key) or key
        if kw.get("n") == 1:  # the singular, where the language has one (en.plurals.json)
            text = self.strings.get(f"{key}.one") or text
        return text.format(**kw) if kw else text

    def problem(self, message: str) -> str:
        code = getattr(message, "code", None)
        template = self.strings.get(f"problem.{code}") if code else None
        if template is None:
            return str(message)  # English is the message itself
        return template.format(**getattr(message, "params", {}))


def translator(lang: str) -> Translator:
    return Translator(lang)
