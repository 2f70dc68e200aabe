"""UI strings in zh-CN (the default) and English, chosen per request.

Catalogs are JSON files in ``web/locales``; the key is the English text's id. A test checks
that every key exists in every catalog, so English is always complete.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from starlette.requests import Request

__all__ = ["DEFAULT", "LANGUAGES", "catalog", "pick_language", "translator"]

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


def translator(lang: str):  # type: ignore[no-untyped-def]
    strings = catalog(lang)

    def _(key: str, **kw: object) -> str:
        text = strings.get(key) or catalog("en").get(key) or key
        return text.format(**kw) if kw else text

    return _
