"""Author text to safe HTML: Markdown for local posts, sanitizing for everything from outside."""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

__all__ = ["extract_hashtags", "html_to_text", "render_markdown", "render_plain", "sanitize_html"]

# What Mastodon keeps (mastodon-interop G5), plus headings (it turns them into bold paragraphs).
ALLOWED_TAGS = {
    "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em",
    "ul", "ol", "li", "ruby", "rt", "rp", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}
ALLOWED_ATTRS = {"a": {"href", "class", "title"}, "span": {"class"}, "ol": {"start"}}
# Hashtags: letters/digits/underscore in any script (CJK included), not starting after a word char.
HASHTAG_RE = re.compile(r"(?<![\w/&#])#([\w\u00b7\u30fb]{1,64})", re.UNICODE)


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    # "commonmark" with html disabled: raw HTML in Markdown is shown as text, never passed on.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("strikethrough")


def sanitize_html(value: str) -> str:
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def render_markdown(source: str) -> str:
    return sanitize_html(_md().render(source)).strip()


def render_plain(text: str) -> str:
    """Plain text (a community summary) as HTML paragraphs."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paras)


def extract_hashtags(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


_TAG_RE = re.compile(r"<[^>]+>")


def html_to_text(value: str) -> str:
    text = re.sub(r"</p>\s*<p>|<br\s*/?>", "\n", value)
    return html.unescape(_TAG_RE.sub("", text)).strip()
