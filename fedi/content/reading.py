"""Tolerant readers of a peer's properties (a string or the first of a list, language maps,
numbers, booleans, dates, the attributed actor, the human URL) shared by the parsers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from ..vocab import as_list, get_id
from .data import ContentParseError
from .text import _str, safe_url


def _map_first(doc: Mapping[str, Any], key: str) -> str | None:
    value = _str(doc.get(key))
    if value is not None:
        return value
    mapping = doc.get(f"{key}Map")
    if isinstance(mapping, Mapping):
        for item in mapping.values():
            if isinstance(item, str) and item:
                return item
    return None


def _language(doc: Mapping[str, Any]) -> str | None:
    lang = doc.get("inLanguage")
    if isinstance(lang, Mapping):
        lang = lang.get("identifier") or lang.get("name")
    if isinstance(lang, str) and lang:
        return lang
    for key in ("contentMap", "nameMap", "summaryMap"):
        mapping = doc.get(key)
        if isinstance(mapping, Mapping):
            for k in mapping:
                if isinstance(k, str) and k and k != "und":
                    return k
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def _datetime(value: Any, what: str, *, zone: tzinfo | None = None) -> datetime | None:
    text = _str(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ContentParseError(f"{what} is not an ISO 8601 date-time: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
    return moment


def _url(doc: Mapping[str, Any]) -> str | None:
    """The first http(s) ``url`` (an HTML one when it is a list of Links); None without one."""
    fallback = None
    for item in as_list(doc.get("url")):
        if isinstance(item, str):
            if safe_url(item):
                return safe_url(item)
            continue
        if isinstance(item, Mapping):
            href = safe_url(_str(item.get("href")) or _str(item.get("url")))
            if href and (_str(item.get("mediaType")) or "text/html").startswith("text/html"):
                return href
            fallback = fallback or href
    return fallback


def object_url(doc: Mapping[str, Any]) -> str | None:
    """Where people read an object: its first http(s) ``url``, else its id when that is
    http(s); None when neither is (a hostile ``javascript:`` or ``data:`` value is dropped)."""
    return _url(doc) or safe_url(_str(doc.get("id")))


def _require(doc: Any, kind: str) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping):
        raise ContentParseError(f"{kind}: expected a JSON object, got {type(doc).__name__}")
    return doc


def _required_str(value: str | None, kind: str, key: str, doc: Mapping[str, Any]) -> str:
    if not value or not value.strip():
        ident = doc.get("id")
        where = f" ({ident})" if isinstance(ident, str) else ""
        raise ContentParseError(f"{kind}{where} has no {key}")
    return value


def _actor(doc: Mapping[str, Any]) -> str | None:
    for item in as_list(doc.get("attributedTo")):
        ident = get_id(item)
        if ident:
            return ident
    return get_id(doc.get("actor"))
