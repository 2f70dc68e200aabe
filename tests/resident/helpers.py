"""Small HTML helpers for the resident page tests."""

from __future__ import annotations

import html
import re

UI_KEY = re.compile(
    r"\b(?:feed|home|nav|kind|category|detail|day|listing_kind|purpose|price_mode|event_status|listing_status"
    r"|community|condition|join_mode|error|site|lang)\.[A-Za-z_][\w.]*"
)


def visible_text(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def section(page: str, ident: str) -> str:
    """The HTML of ``<section id="ident">`` up to its closing tag (sections here do not nest
    inside the ones we cut)."""
    start = page.index(f'id="{ident}"')
    return page[start: page.index("</section>", start)]


def cards(page: str) -> list[str]:
    """The visible titles of the item cards, in page order."""
    return [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in re.findall(r'<h3 class="item-title"><a href="/items/\d+">(.*?)</a>', page, re.DOTALL)]


def links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
