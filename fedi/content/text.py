"""Hostile values, text and hashtags: every URL and every piece of HTML a peer sends passes here
at parse time (:func:`safe_url`, :func:`clean_html`), and the text and hashtag helpers the
builders share."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import nh3

from ..vocab import as_list, isoformat
from .data import TagHref

_CONTROL_RE = re.compile(r"[\x00-\x20\x7f\\]")

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S")


def safe_url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL with a host, else None.

    Dropped, not escaped: ``javascript:``, ``data:``, ``vbscript:``, relative and
    protocol-relative references, and anything with spaces, control characters or backslashes
    (browsers strip or reinterpret those, which is how ``java\tscript:`` gets through filters).
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or _CONTROL_RE.search(text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return text


# What Mastodon keeps of a post's HTML (mastodon-interop G5), plus headings.
_HTML_TAGS = {
    "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i",
    "em", "ul", "ol", "li", "ruby", "rt", "rp", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip

_HTML_ATTRS = {"a": {"href", "class", "title"}, "span": {"class"}, "ol": {"start"}}


def _keep_attribute(tag: str, attr: str, value: str) -> str | None:
    if tag == "a" and attr == "href":
        return safe_url(value)
    return value


_HASHTAG_LINK_RE = re.compile(r"<a\b([^>]*)>\s*#(?:<span>)?([^<#]+?)(?:</span>)?\s*</a>")

_HREF_RE = re.compile(r'\shref="[^"]*"')


def tag_path(tag: str) -> str:
    """``/tags/NAME``, where every instance shows its feed filtered by a hashtag."""
    return "/tags/" + quote(_clean_tag(tag), safe="")


def clean_html(value: Any, tags: Any = None) -> str:
    """A peer's HTML reduced to inert markup: Mastodon's tag set, links only to http(s) URLs
    (any other ``href`` is removed, the text stays), no scripts, styles or event handlers.

    ``tags`` is the object's AS ``tag`` value: a link reading ``#name`` for one of its
    Hashtags is pointed at this instance's ``/tags/name`` instead of the sender's tag page,
    as Mastodon does, so a hashtag read here shows what this instance has under it."""
    if not isinstance(value, str) or not value:
        return ""
    cleaned = nh3.clean(
        value,
        tags=_HTML_TAGS,
        attributes=_HTML_ATTRS,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )
    names = {t.casefold() for t in _tags_from_ap(tags)}
    if not names:
        return cleaned

    def local(match: re.Match[str]) -> str:
        name = html.unescape(match.group(2)).strip()
        if name.casefold() not in names:
            return match.group(0)
        attrs = _HREF_RE.sub("", match.group(1))
        href = html.escape(tag_path(name), quote=True)
        return f'<a href="{href}"{attrs}>#<span>{html.escape(name)}</span></a>'

    return _HASHTAG_LINK_RE.sub(local, cleaned)


def _is_zh(language: str | None) -> bool:
    return language is None or language.lower().startswith("zh")


def _hashtag(tag: str, tag_href: TagHref | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "Hashtag", "name": f"#{tag}"}
    if tag_href is not None:
        doc["href"] = tag_href(tag)
    return doc


def _hashtag_html(tag: str, tag_href: TagHref | None) -> str:
    if tag_href is None:
        return f"#{html.escape(tag)}"
    href = html.escape(tag_href(tag), quote=True)
    return (
        f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{html.escape(tag)}</span></a>'
    )


def _clean_tag(tag: str) -> str:
    return tag.strip().lstrip("#").strip()


def _dedupe(tags: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for t in tags:
        t = _clean_tag(t)
        if t and t.casefold() not in seen:
            seen.add(t.casefold())
            out.append(t)
    return out


def _language_maps(
    doc: dict[str, Any], language: str | None, *, name: str | None, content: str | None
) -> None:
    if not language:
        return
    if name is not None:
        doc["nameMap"] = {language: name}
    if content is not None:
        doc["contentMap"] = {language: content}


def _text_html(text: str) -> str:
    """Plain text as the HTML that AS2 ``summary``/``content`` hold: ``<``, ``>`` and ``&``
    escaped (quotes need no escaping outside attributes, and Misskey shows a CW unparsed)."""
    return html.escape(text, quote=False)


def _type_names(doc: Mapping[str, Any]) -> set[str]:
    return {t for t in as_list(doc.get("type")) if isinstance(t, str)}


def _str(value: Any) -> str | None:
    """A plain string property (the first of a list), empty → None."""
    for item in as_list(value):
        if isinstance(item, str):
            return item or None
    return None


# A contact as a peer sends it is shown as it stands: one line of plain text, or nothing.
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _one_line(value: Any, max_len: int) -> str | None:
    """A short one-line text property (a contact): too long, or carrying line breaks, control
    characters or bidirectional overrides that could make it read as something else → None."""
    text = _str(value)
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > max_len or _NOT_ONE_LINE.search(text):
        return None
    return text


def hashtags_from_ap(doc: Any) -> list[str]:
    """Every ``Hashtag`` a document carries, as its author named them (without ``#``), the
    ones that coincide with automatic tags included: what a receiver indexes for any kind."""
    return _tags_from_ap(doc.get("tag")) if isinstance(doc, Mapping) else []


def _tags_from_ap(values: Any) -> list[str]:
    out = []
    for tag in as_list(values):
        if isinstance(tag, Mapping) and "Hashtag" in _type_names(tag):
            name = _str(tag.get("name"))
            if name:
                out.append(name)
    return _dedupe(out)


def _with_language_and_dates(
    doc: dict[str, Any],
    language: str | None,
    published: datetime | None,
    updated: datetime | None,
    *,
    name: str | None,
    content: str | None,
) -> dict[str, Any]:
    """``doc`` with what every kind ends with: ``inLanguage``, the ``*Map`` properties
    (:func:`_language_maps`) and the ``published``/``updated`` dates."""
    if language:
        doc["inLanguage"] = language
    _language_maps(doc, language, name=name, content=content)
    if published is not None:
        doc["published"] = isoformat(published)
    if updated is not None:
        doc["updated"] = isoformat(updated)
    return doc
