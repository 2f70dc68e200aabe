"""A post's terms as a resident writes them: the price (¥120, 120元, 120块, RMB 120, 1.2k, 面议),
the condition (九成新, like new) and the thing's name for a title. :mod:`.posts` uses them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

__all__ = ["first_price_at", "read_condition", "read_price", "title_of"]

_NUM = r"(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<m>[kK千万wW](?![A-Za-z]))?"
_CURRENCIES = (
    (re.compile(r"^(?:hk\$|hkd|港币)$"), "HKD"),
    (re.compile(r"^(?:us\$|\$|usd|dollars?)$"), "USD"),
    (re.compile(r"^(?:€|eur|euros?)$"), "EUR"),
)
_PRICES = (
    # A currency before or after the sum.
    re.compile(rf"(?P<c>HK\$|US\$|\$|¥|￥|€|RMB|CNY|USD|HKD|EUR|人民币)\s*{_NUM}", re.IGNORECASE),
    re.compile(rf"{_NUM}\s*(?P<c>元|块|rmb|cny|yuan|人民币|usd|dollars?|hkd|港币|eur|euros?)(?![A-Za-z])",
               re.IGNORECASE),
    # A price word before it, or the way a sum is said after it (300出, 200左右, 200/小时).
    re.compile(rf"(?:现价|现(?=\d)|售价|价格|价钱|只要|仅需?|预算|budget|price|asking|[每一]小时|每次|[每一]节课?|"
               rf"每月|一个月|辛苦费)\s*[:：]?\s*(?:约|大概)?\s*{_NUM}",
               re.IGNORECASE),
    re.compile(rf"{_NUM}\s*(?:出(?![门发去来现差租])|左右|以内|以下|包邮|/\s*(?:小时|h|hr|hour|次|节|月|个|斤)|"
               rf"[一每][个件本张斤套]|each\b|apiece\b)",
               re.IGNORECASE),
    re.compile(r"(?<![\w.])(?P<n>\d+(?:\.\d+)?)(?P<m>[kK])(?![\w])"),
    re.compile(r"(?<![\w.])(?P<n>\d+(?:\.\d+)?)(?P<m>)[rR](?![\w])"),  # 80r: 80 元 as typed in a hurry
    re.compile(r"(?P<n>[一二两三四五六七八九十百千万]+)(?P<m>)\s*(?:元|块)"),
)
# What it cost once is not what it costs now.
_FORMER_PRICE = re.compile(r"(?:原价|入手价|买入价|新品价|官网价|原来)\s*[¥￥]?\s*\d[\d,.]*\s*[kK千万wW]?\s*(?:元|块)?")
_NEGOTIABLE = re.compile(r"面议|价格可议|可议价|议价|价格可谈|价[格钱]好(?:商量|说)|negotiable|\bobo\b", re.IGNORECASE)
# A sum standing alone between commas in an offer ("投影仪，1500，可以来看看"), read last.
_BARE_SUM = re.compile(r"(?<=[，,])\s*(?P<n>\d{2,7})(?P<m>)\s*(?=[，,。！!\n]|$)")
_MULTIPLIERS = {"k": 1000, "千": 1000, "万": 10000, "w": 10000}

_CONDITIONS = (
    (r"几乎全新|近全新|准新|9\.?5成新|九五成?新|9[59]新|9成新|九成新|like\s+new|almost\s+new|barely\s+used", "like_new"),
    (r"全新|brand\s+new|\bunopened\b|new\s+in\s+box|\bbnib\b", "new"),
    (r"八五成?新|85新|8成新|八成新|成色(?:不错|很好|好)|good\s+condition", "good"),
    (r"七成新|7成新|六成新|6成新|fair\s+condition", "fair"),
    (r"五成新|5成新|有磨损|明显使用痕迹|\bworn\b|well[-\s]used", "worn"),
)
_CONDITION_RES = tuple((re.compile(p, re.IGNORECASE), c) for p, c in _CONDITIONS)


def read_price(text: str, hints: Sequence[str]) -> dict[str, str] | str | None:
    """The first sum the text asks (as validation takes it: ``{"amount", "currency"}``), else
    "negotiable" when it says so, else the first of ``hints`` ("free", "swap"), else None."""
    text = _FORMER_PRICE.sub(lambda m: " " * len(m.group()), text)
    amount = _first_amount(text, _PRICES) or _first_amount(text, (_BARE_SUM,))
    if amount is not None:
        return amount
    if _NEGOTIABLE.search(text):
        return "negotiable"
    return hints[0] if hints else None


def _first_amount(text: str, patterns: Sequence[re.Pattern[str]]) -> dict[str, str] | None:
    matches = sorted((m for pattern in patterns for m in pattern.finditer(text)), key=lambda m: m.start())
    for m in matches:
        amount = _amount(m.group("n"), m.group("m"))
        if amount is not None:
            return {"amount": amount, "currency": _currency(m.groupdict().get("c"))}
    return None


_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def _chinese_number(text: str) -> int:
    """三百 → 300, 一千五 → 1500, 十二 → 12 (the sums people write in words)."""
    total, section, digit = 0, 0, 0
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char == "万":
            total, section, digit = (section + digit) * 10000, 0, 0
        else:
            section += (digit or 1) * _UNITS[char]
            digit = 0
    if digit and text[-1] in _DIGITS and len(text) > 1 and text[-2] in _UNITS and text[-2] != "十":
        digit *= _UNITS[text[-2]] // 10  # 一千五: the 五 is hundreds
    return total + section + digit


def _amount(number: str, multiplier: str | None) -> str | None:
    try:
        value = Decimal(number.replace(",", "")) if number[0].isdigit() else Decimal(_chinese_number(number))
    except (InvalidOperation, KeyError):
        return None
    value *= _MULTIPLIERS.get((multiplier or "").lower(), 1)
    if not value.is_finite() or value <= 0 or value > 100_000_000:
        return None
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _currency(symbol: str | None) -> str:
    word = (symbol or "").lower()
    return next((code for pattern, code in _CURRENCIES if pattern.match(word)), "CNY")


def read_condition(text: str) -> str | None:
    """The goods' condition the text states (九成新 → like_new), or None."""
    found = [(m.start(), i, code) for i, (pattern, code) in enumerate(_CONDITION_RES)
             for m in [pattern.search(text)] if m]
    return min(found)[2] if found else None


# A title is the thing itself: without the verb before it, the quantity, the condition.
_VERB_ONCE = re.compile(r"^[出卖收求送换]")
_NOISE_WORDS = (
    "低价转让", "低价出售", "低价出", "便宜出", "出售", "转让", "转卖", "急售", "急收", "甩卖", "清仓", "求购", "收购",
    "求租", "出租", "免费送", "免费赠送", "白送", "赠送", "免费", "闲置", "提供", "承接", "交换", "有偿", "价格", "售价",
    "价钱", r"for\s+sale", "selling", "sell", "fs", "iso", "wtb", "wanted", r"looking\s+for", "giveaway", "free",
    "swap", "trade", "two", "three", "four", "five", "several", r"a\s+pair\s+of", r"giving\s+away", r"give\s+away", "offering", r"anyone\s+selling", "price", "my", "our", "an?",
    "the", "几乎全新", "全新未拆封?", "全新", "未拆封?", "[九八七六五]成新", r"\d{1,2}成?新", r"[-*•·]",
)
# Longest first, so 低价出售 is not read as 低价出 and a stray 售.
_NOISE = re.compile(
    r"^(?:" + "|".join(sorted(_NOISE_WORDS, key=len, reverse=True)) + r")(?:的|\b|(?=[^A-Za-z]))\s*",
    re.IGNORECASE,
)
_MEASURE = re.compile(r"^[一两二三四五六七八九十几\d]*[台个辆张套把只件部双盒箱批本架些位棵]")
_TRAILING = re.compile(
    r"(?:\s*(?:转让|出售|出|for\s+sale|一[台个辆张套把只件部双盒箱批本架些]))+$|[\s,，。.!！?？:：;；~～、\-—]+$",
    re.IGNORECASE,
)
_TAG = re.compile(r"[#＃][\w\u00b7\u30fb]+")


def title_of(clause: str) -> str:
    """The thing a clause names, as a title; "" when nothing is left (a bare 【转让】)."""
    text = _FORMER_PRICE.sub("", _TAG.sub(" ", clause)).strip().removeprefix("的")
    price = first_price_at(text)
    if price is not None:
        text = text[:price].strip()
    first = True
    while True:
        before = text
        text = _NOISE.sub("", text).strip()
        if first and text == before and _VERB_ONCE.match(text):
            text = text[1:].strip()
            text = _MEASURE.sub("", text).strip()
        text = re.sub(r"^[一两二三四五六七八九十几]+[台个辆张套把只件部双盒箱批本架些位棵]", "", text).strip()
        first = False
        if text == before:
            break
    text = _TRAILING.sub("", text).strip()
    return "" if re.fullmatch(r"[\d\s.,¥￥$/]*", text) else _capitalised(text)  # a bare sum names nothing


def first_price_at(text: str) -> int | None:
    """Where the first sum in ``text`` starts, or None."""
    starts = [m.start() for pattern in _PRICES for m in [pattern.search(text)] if m]
    return min(starts) if starts else None


def _capitalised(text: str) -> str:
    if len(text) > 1 and text[0].islower() and text[0].isascii() and not text[1].isupper():
        return text[0].upper() + text[1:]
    return text
