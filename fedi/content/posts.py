"""Reading a resident's plain post as a listing: what it offers or asks for, at what price.

A member writes "出售九成新宜家书桌，120元" or "WTB: kids' scooter, budget 150 yuan" to a community
from Mastodon; :func:`read_post` turns such a post into the body
``actors.publishing.validation.validate`` accepts for ``{"type": "listing"}``, or says it is a
note when it finds no listing in it (a greeting, an event, a question to the neighbours).

How it reads: signals are found with their position in the text, Chinese words by rjieba (so
教 in 教材 or 修 in 刚修过 is no signal) and phrases by pattern. The first decisive signal makes a
listing, unless a question, a thank-you or an announcement comes before it, or the post passes
on news (a lost child, a found key). The first signal with a purpose gives the purpose (offer
unless asked for); the first clause naming a kind gives the kind (skill before service before
help before goods; help yields to a repair or lesson named later). The price is the first sum with a
currency or price word, else 面议, free or swap. The title is the clause the listing starts in,
without the verb, quantity and condition around the thing itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import rjieba

from .post_terms import first_price_at, read_condition, read_price, title_of
from .text import safe_url

__all__ = ["PostReading", "read_post"]

MAX_TITLE = 80  # a sensible title; validation allows 200
MAX_CONTENT = 20_000
MAX_TAGS = 10
MAX_ALT = 1500

_MENTION = re.compile(r"@[A-Za-z0-9_.\-]+(?:@[A-Za-z0-9.\-]+(?::\d+)?)?")
_HASHTAG = re.compile(r"(?<![\w/&#])[#＃]([\w\u00b7\u30fb]{1,64})")
_TAG_OK = re.compile(r"^[\w\u00b7\u30fb]{1,64}$")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Where a clause starts: the start of the text or after punctuation, a space or a bracket.
_AT_START = r"(?<![^\n，,。！!？?；;：:\s【】\[\]])"
_CLAUSE_SPLIT = re.compile(r"[\n，,。！!？?；;：:~～]|\.(?=\s|$)|\s[—–-]+\s|【|】")


class Signal(NamedTuple):
    start: int
    purpose: str | None = None  # offer | request
    kind: str | None = None  # goods | skill | service | help
    price: str | None = None  # free | swap
    decisive: bool = True  # enough on its own to make the post a listing


def _p(pattern: str, purpose: str | None = None, kind: str | None = None, price: str | None = None,
       decisive: bool = True) -> tuple[re.Pattern[str], Signal]:
    return re.compile(pattern, re.IGNORECASE), Signal(0, purpose, kind, price, decisive)


_PHRASES = (
    _p(r"出售|转让|转卖|甩卖|清仓|急售|便宜出|低价出|降价|闲置|二手|for\s*sale|\bselling\b|\bsell\b|\bfs\b|\bsale\b|"
       r"price\s+drop", "offer", "goods"),
    _p(_AT_START + r"出(?![门发去来现差租生席版行国口])|出租(?!车(?!位))", "offer", "goods"),
    _p(r"\d\s*出(?![门发去来现差租])|出(?=\s*(?:[，,。！!\n]|$))", "offer", "goods"),
    # How an offer ends: "those who want it, message me".
    _p(r"(?:需要的|有需要的?|有意者?|感兴趣的?)(?:请)?(?:私信|私聊|联系|留言)", "offer"),
    _p(r"免费送|白送|免费赠送?|赠送|送人|免费领取?|免费拿|\bgiv(?:e|ing)\s*away\b|\bgiveaway\b|"
       r"free\s+to\s+(?:a\s+)?good\s+home", "offer", "goods", "free"),
    _p(_AT_START + r"送(?![货到达给来])", "offer", "goods", "free"),
    _p(_AT_START + r"free\b(?!\s+(?:shipping|delivery|time))|\bfor\s+free\b", "offer", None, "free"),
    _p(r"免费|不收费|不要钱|\bfree\b|no\s+charge", price="free", decisive=False),
    _p(r"可换", price="swap", decisive=False),
    _p(r"交换|互换|置换|以物换物|换物|\bswap(?:s|ping)?\b|\btrad(?:e|ing)\b|\bexchange\b", "offer", None, "swap"),
    _p(r"求购|收购|求租|急收|\bwtb\b|want\s+to\s+buy|anyone\s+selling|有没有人(?:卖|出)", "request", "goods"),
    _p(r"谁有|谁家有|有没有人有|有人有", "request"),
    _p(r"急求|\bwanted\b|\blooking\s+for\b|in\s+search\s+of|\biso\b", "request"),
    _p(r"想学|求学|学一下", "request", "skill"),
    _p(r"有偿", "request", decisive=False),
    _p(_AT_START + r"收(?![到拾藏获入费益看集听尾])", "request", "goods"),
    _p(_AT_START + r"求(?!推荐|助|问|你|求)", "request"),
    _p(r"想找|找个|找一?位|找人|急需|需要|\bneeds?\b", "request", decisive=False),
    _p(r"help\s+(?:needed|wanted)|needs?\s+(?:help|a\s+hand)|求助|(?:can|could)\s+(?:someone|anyone)\s+help|"
       r"anyone\s+(?:able|willing)\s+to\s+help", "request", "help"),
    _p(r"帮忙修|帮我修|给我修|上门修", kind="service"),
    _p(r"提供|承接|接单|可以(?=帮|教|修|上门|辅导)|\bi\s+(?:can|teach)\b|\bcan\s+(?=fix|teach|help|repair)|"
       r"\bavailable\b|\boffering\b", "offer", decisive=False),
    _p(r"\bteach(?:es|ing)?\b|\btutor(?:ing|s)?\b|\blessons?\b|\bcoach(?:ing)?\b", kind="skill"),
    _p(r"\bteachers?\b|\bclass(?:es)?\b", kind="skill", decisive=False),
    _p(r"\brepair(?:s|ing)?\b|\bfix(?:es|ing)?\b|\bplumb(?:er|ing)\b", kind="service"),
    _p(r"\bhelp\b|(?:give|lend)\s+(?:me\s+)?a\s+hand|\bsomeone\s+to\b", kind="help", decisive=False),
    _p(r"walk(?:ing)?\s+(?:my|the|our)\s+dogs?|dog[-\s]walking|pet[-\s]sitting|babysit(?:ting)?", kind="help"),
)

# Chinese words as rjieba cuts them: (purpose, kind, price, decisive).
_WORDS: dict[str, tuple[str | None, str | None, str | None, bool]] = {
    "卖": ("offer", "goods", None, True),
    "换": ("offer", "goods", "swap", True),
    "教": (None, "skill", None, True), "辅导": (None, "skill", None, True),
    "家教": (None, "skill", None, True), "陪练": (None, "skill", None, True),
    "课": (None, "skill", None, False), "老师": (None, "skill", None, False),
    "课程": (None, "skill", None, False), "培训": (None, "skill", None, False),
    "修": (None, "service", None, True), "维修": (None, "service", None, True),
    "修理": (None, "service", None, True), "会修": (None, "service", None, True),
    "能修": (None, "service", None, True), "求修": ("request", "service", None, True),
    "上门": (None, "service", None, True), "清洗": (None, "service", None, True),
    "保洁": (None, "service", None, True), "安装": (None, "service", None, False),
    "师傅": (None, "service", None, False), "做饭": (None, "service", None, True),
    "家政": (None, "service", None, True), "钟点工": (None, "service", None, True),
    "保姆": (None, "service", None, True), "月嫂": (None, "service", None, True), "教练": (None, "skill", None, True),
    "每节课": (None, "skill", None, False), "一节课": (None, "skill", None, False),
    "借": ("request", "goods", None, True), "求借": ("request", "goods", None, True),
    "帮忙": (None, "help", None, True), "搭把手": (None, "help", None, True),
    "代收": (None, "help", None, True), "遛狗": (None, "help", None, True),
    "帮": (None, "help", None, False),
}

# 换 before these is a change of place or person, not a swap (快递站换地方了).
_NOT_SWAPPED = frozenset({"地方", "位置", "地址", "号", "人", "工作", "了", "成", "到", "新"})

# A question, a thank-you or an announcement before any listing signal: the post is a note.
_NOT_LISTING = re.compile(
    r"请问|有人知道|有没有人知道|谁知道|求推荐|谁能推荐|推荐一?个|推荐给大家|有推荐|谢谢|感谢|举办|活动(?!室)|讲座|"
    r"报名|通知|欢迎大家|集市|市集|跳蚤市场|施工|停用|anyone\s+know|can\s+anyone\s+recommend|\brecommend|"
    r"\bthanks\b|\bthank\s+you\b|\bmeeting\b|\bjoin\s+us\b|\breminder\b|\bevents?\b|\bmeetup\b|"
    r"flea\s+market|farmers'?\s+market|will\s+be\s+closed|closed\s+for",
    re.IGNORECASE,
)

# Whatever comes first: a post passed on (a lost neighbour, a found key) is news, not a listing.
_NEWS = re.compile(r"转发|扩散|走失|寻人|失主|\blost\b|\bmissing\b|\bfound\b", re.IGNORECASE)

_KIND_ORDER = ("skill", "service", "help", "goods")


@dataclass(frozen=True)
class PostReading:
    """What a post reads as. ``kind`` is "listing" or "note"; ``body`` is the content body for
    ``validate`` (``{"type": "listing", ...}`` or ``{"type": "note", ...}``); ``read`` names the
    listing fields taken from the text (the rest are validation's defaults); ``images`` are the
    post's attached images as ``{"url", "alt"}``, for the caller to fetch and store."""

    kind: str
    body: dict[str, Any]
    read: tuple[str, ...] = ()
    images: tuple[dict[str, str], ...] = field(default=())


def read_post(
    text: str,
    *,
    hashtags: Sequence[str] = (),
    images: Sequence[Mapping[str, Any]] = (),
    mention_names: Sequence[str] = (),
) -> PostReading:
    """A post's plain text (Mastodon's HTML already turned into text) read as a listing, or as a
    note when it holds none. ``hashtags`` are the post's Hashtag names, ``mention_names`` the
    accounts it mentions (the community among them), stripped where they open or close it."""
    content = _without_mentions((text or "")[:MAX_CONTENT], mention_names)
    tags = _tags(content, hashtags)
    language = "zh" if _CJK.search(content) else "en"
    passed = _images(images)
    signals = _signals(content, tags)
    body, read = _listing(content, signals, tags) if _is_listing(content, signals) else ({}, [])
    if not body.get("title"):  # nothing it names: a lone #二手 is no listing
        return PostReading("note", {"type": "note", "content": content, "language": language}, (), passed)
    body["language"] = language
    return PostReading("listing", body, tuple(read), passed)


def _listing(content: str, signals: list[Signal], tags: list[str]) -> tuple[dict[str, Any], list[str]]:
    purpose = next((s.purpose for s in signals if s.purpose), None)
    kind = _kind(content, signals)
    body: dict[str, Any] = {
        "type": "listing",
        "kind": kind,
        "purpose": purpose or "offer",
        "title": _title(content, _title_anchor(content, signals)),
        "content": _description(content),
    }
    read = ["kind", "title"] + (["purpose"] if purpose else [])
    # 换 in a repair (换屏幕) is the work, not a swap: a goods word's price counts for goods only.
    price = read_price(content, [s.price for s in signals if s.price and (kind == "goods" or s.kind != "goods")])
    if price is not None:
        body["price"] = price
        read.append("price")
    condition = read_condition(content) if kind == "goods" else None
    if condition:
        body["condition"] = condition
        read.append("condition")
    if tags:
        body["tags"] = tags
        read.append("tags")
    return body, read


def _without_mentions(text: str, names: Sequence[str]) -> str:
    """The text without the @mentions that open or close it (the community addressed)."""
    known = "|".join(re.escape("@" + n.lstrip("@")) for n in names if n)
    mention = f"(?:{known}|{_MENTION.pattern})" if known else _MENTION.pattern
    text = re.sub(rf"\A(?:\s*{mention}(?![\w.@\-]))+", "", text.strip(), flags=re.IGNORECASE)
    return re.sub(rf"(?:(?<![^\s]){mention}\s*)+\Z", "", text, flags=re.IGNORECASE).strip()


def _tags(content: str, hashtags: Sequence[str]) -> list[str]:
    """The author's hashtags, as validation keeps them (lower case, no '#'), at most ten."""
    names = [str(h) for h in hashtags if isinstance(h, str)] + _HASHTAG.findall(content)
    clean = dict.fromkeys(n.strip().lstrip("#＃").lower() for n in names)
    return [t for t in clean if t and _TAG_OK.match(t)][:MAX_TAGS]


def _images(images: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], ...]:
    out = []
    for image in images:
        url = safe_url(image.get("url")) if isinstance(image, Mapping) else None
        if url:
            alt = image.get("alt") or image.get("name") or ""
            out.append({"url": url, "alt": alt.strip()[:MAX_ALT] if isinstance(alt, str) else ""})
    return tuple(out)


def _words(text: str) -> Iterator[tuple[int, str]]:
    """Chinese words with their offsets, as rjieba cuts them."""
    offset = 0
    for word in rjieba.cut(text):
        yield offset, word
        offset += len(word)


def _signals(content: str, tags: list[str]) -> list[Signal]:
    """Every listing signal in the text, then in the hashtags (read as if written at the end),
    in order of position."""
    text = content + "\n" + " ".join(tags)
    found = [
        signal._replace(start=m.start())
        for pattern, signal in _PHRASES
        for m in pattern.finditer(text)
    ]
    words = list(_words(text))
    for (start, word), (_, after) in zip(words, [*words[1:], (0, "")], strict=True):
        meaning = _WORDS.get(word)
        if meaning and not (word == "换" and after in _NOT_SWAPPED):
            found.append(Signal(start, *meaning))
    return sorted(found, key=lambda s: s.start)


def _is_listing(content: str, signals: list[Signal]) -> bool:
    """A decisive signal, with no question, thanks or announcement before it."""
    first = next((s for s in signals if s.decisive), None)
    veto = _NOT_LISTING.search(content)
    return first is not None and (veto is None or veto.start() > first.start) and not _NEWS.search(content)


def _clauses(text: str) -> Iterator[tuple[int, str]]:
    """The text's clauses with their offsets."""
    start = 0
    for m in _CLAUSE_SPLIT.finditer(text):
        yield start, text[start:m.start()]
        start = m.end()
    yield start, text[start:]


def _kind(content: str, signals: list[Signal]) -> str:
    """The kind named in the first clause that names one (skill, service, help, then goods),
    a decisive word before a passing one (转让 a 课 card is goods); help only when no skill or
    service is named anywhere."""
    specific = {s.kind for s in signals if s.decisive and s.kind in ("skill", "service")}
    for start, clause in _clauses(content + "\n"):
        named = [s for s in signals if s.kind and start <= s.start < start + len(clause)]
        kinds = {s.kind for s in named if s.decisive} or {s.kind for s in named}
        for kind in _KIND_ORDER:
            if kind in kinds:
                # 求助 or "help needed" opens many a request for a repair or a lesson.
                return next((k for k in _KIND_ORDER if k in specific), kind) if kind == "help" else kind
    tail = {s.kind for s in signals if s.kind and s.start >= len(content)}  # the hashtags
    return next((k for k in _KIND_ORDER if k in tail), "goods")


def _description(content: str) -> str:
    """The whole post, less the closing line of hashtags (a listing shows its tags itself)."""
    lines = content.splitlines()
    while lines and lines[-1].strip() and not _HASHTAG.sub("", lines[-1]).strip():
        lines.pop()
    return "\n".join(lines).strip()[:MAX_CONTENT]


def _title_anchor(content: str, signals: list[Signal]) -> int:
    """Where the thing is named: at the first decisive signal that says what or at what price
    (not at "需要的私信", which closes an offer, nor in a hashtag), else at the start."""
    tagged = [range(m.start(), m.end()) for m in _HASHTAG.finditer(content)]
    return next((s.start for s in signals if s.decisive and (s.kind or s.price) and s.start < len(content)
                 and not any(s.start in span for span in tagged)), 0)


def _title(content: str, start: int) -> str:
    """The clause the listing starts in, cleaned; else the next that gives one, else an earlier."""
    clauses = [c for _, c in _clauses(content)]
    at = next((i for i, (s, c) in enumerate(_clauses(content)) if s <= start <= s + len(c)), 0)
    # A bare marker (【转让】, "For sale:") names the thing in the clauses after it; a clause that
    # is all price ("现价800转让") named it in those before.
    marker = first_price_at(clauses[at]) is None
    for clause in clauses[at:] + clauses[:at] if marker else [clauses[at], *clauses[:at], *clauses[at + 1:]]:
        title = title_of(clause)
        if title:
            return title[:MAX_TITLE]
    return " ".join(_HASHTAG.sub("", content).split())[:MAX_TITLE]
