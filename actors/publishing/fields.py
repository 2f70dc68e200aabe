"""The checks every kind of content shares: a field's text, choice, number, tags, coordinates,
URL, images, place and money, each telling what is wrong as a ``fedi.problems.Problem``; and
the values they make (``Place``, ``Price``, ``ImageRef``). ``actors.publishing.validation``
puts them together per kind."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fedi.problems import problem

__all__ = ["CURRENCIES", "LANGUAGES", "MAX_TAGS", "MAX_TITLE", "Checker", "ContentError", "ImageRef", "Place", "Price"]

LANGUAGES = ("zh", "zh-CN", "zh-TW", "en", "ja", "ko", "fr", "de", "es")
CURRENCIES = ("CNY", "HKD", "TWD", "USD", "EUR", "JPY")
MAX_TITLE = 200
MAX_TAGS = 10
NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
TAG_RE = re.compile(r"^[\w\u00b7\u30fb]{1,64}$", re.UNICODE)


class ContentError(Exception):
    """The body is not valid content; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class Place:
    name: str | None
    address: str | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Price:
    mode: str  # amount | free | swap | negotiable
    amount: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class ImageRef:
    media: str  # the token of an uploaded image (POST /api/media, the form, or the CLI)
    alt: str


@dataclass
class Checker:
    body: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)

    def text(self, key: str, *, required: bool = False, max_len: int = MAX_TITLE) -> str | None:
        value = self.body.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(key, problem("required"))
            return None
        if not isinstance(value, str):
            self.fail(key, problem("text"))
            return None
        value = value.strip()
        if len(value) > max_len:
            self.fail(key, problem("too_long", length=len(value), limit=max_len))
            return None
        return value

    def one_line(self, key: str, *, max_len: int) -> str | None:
        value = self.text(key, max_len=max_len)
        if value is not None and NOT_ONE_LINE.search(value):
            self.fail(key, problem("one_line"))
            return None
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None, *, required: bool = False) -> str | None:
        value = self.body.get(key, default)
        if value is None:
            if required:
                self.fail(key, problem("required_choice", options=", ".join(options)))
            return None
        if value not in options:
            self.fail(key, problem("choice", value=value, options=", ".join(options)))
            return None
        return str(value)

    def integer(self, key: str, *, minimum: int = 1, maximum: int = 1_000_000) -> int | None:
        value = self.body.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.fail(key, problem("whole_number"))
            return None
        try:
            number = int(value)
        except ValueError:
            self.fail(key, problem("whole_number"))
            return None
        if not minimum <= number <= maximum:
            self.fail(key, problem("between", minimum=minimum, maximum=maximum))
            return None
        return number

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.body.get(key, default)
        if isinstance(value, bool):
            return value
        if value in ("true", "on", "1", "yes"):
            return True
        if value in ("false", "off", "0", "no", "", None):
            return False
        self.fail(key, problem("true_or_false"))
        return default

    def tags(self, key: str = "tags") -> list[str]:
        value = self.body.get(key, [])
        if isinstance(value, str):
            value = [t for t in re.split(r"[\s,，、]+", value) if t]
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            self.fail(key, problem("words"))
            return []
        clean = list(dict.fromkeys(t.strip().lstrip("#").lower() for t in value if t.strip().lstrip("#")))
        bad = [t for t in clean if not TAG_RE.match(t)]
        if bad:
            self.fail(key, problem("tag", tag=bad[0]))
            return []
        if len(clean) > MAX_TAGS:
            self.fail(key, problem("too_many_tags", limit=MAX_TAGS))
            return []
        return clean

    def coordinate(self, key: str, limit: float, value: Any = None) -> float | None:
        value = self.body.get(key) if value is None else value
        if value is None or value == "":
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(key, problem("number"))
            return None
        if not -limit <= number <= limit:
            self.fail(key, problem("between", minimum=f"-{limit:g}", maximum=f"{limit:g}"))
            return None
        return number

    def url(self, key: str) -> str | None:
        value = self.text(key, max_len=2048)
        if value is not None and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value):
            self.fail(key, problem("http_url"))
            return None
        return value

    def language(self) -> str:
        return self.choice("language", LANGUAGES, "zh") or "zh"

    def image(self, key: str = "image") -> ImageRef | None:
        value = self.body.get(key)
        if value is None:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("media"), str):
            self.fail(key, problem("image"))
            return None
        alt = value.get("alt", "")
        if not isinstance(alt, str) or len(alt) > 1500:
            self.fail(key, problem("alt", limit=1500))
            return None
        return ImageRef(value["media"], alt.strip())

    def images(self, key: str = "images", limit: int = 4) -> list[ImageRef]:
        value = self.body.get(key, [])
        if not isinstance(value, list):
            self.fail(key, problem("images"))
            return []
        if len(value) > limit:
            self.fail(key, problem("too_many_images", limit=limit))
            return []
        refs = []
        for item in value:
            self.body["_img"] = item
            ref = self.image("_img")
            if "_img" in self.errors:
                self.fail(key, self.errors.pop("_img"))
            if ref:
                refs.append(ref)
        self.body.pop("_img", None)
        return refs

    def place(self, key: str = "place") -> Place | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return Place(value.strip()[:MAX_TITLE], None, None, None) if value.strip() else None
        if not isinstance(value, dict):
            self.fail(key, problem("place"))
            return None
        name, address = value.get("name"), value.get("address")
        if name is not None and not isinstance(name, str) or address is not None and not isinstance(address, str):
            self.fail(key, problem("place_text"))
            return None
        lat = self.coordinate(f"{key}.latitude", 90, value.get("latitude"))
        lon = self.coordinate(f"{key}.longitude", 180, value.get("longitude"))
        if (lat is None) != (lon is None):
            self.fail(key, problem("both_coordinates"))
        if not (name or address):
            self.fail(key, problem("place_name"))
            return None
        return Place((name or "").strip() or None, (address or "").strip() or None, lat, lon)

    def money(self, key: str, value: Any) -> Price | None:
        if not isinstance(value, dict):
            return None
        try:
            amount = Decimal(str(value.get("amount")))
        except InvalidOperation:
            self.fail(key, problem("amount"))
            return None
        if not amount.is_finite() or amount < 0 or amount > Decimal(100000000):
            self.fail(key, problem("amount_range"))
            return None
        if amount == 0:
            self.fail(key, problem("amount_zero"))
            return None
        if amount.as_tuple().exponent < -2:  # type: ignore[operator]
            self.fail(key, problem("amount_decimals"))
            return None
        currency = value.get("currency", "CNY")
        if currency not in CURRENCIES:
            self.fail(key, problem("currency", options=", ".join(CURRENCIES)))
            return None
        return Price("amount", amount.quantize(Decimal("0.01")), currency)

    def unknown(self, allowed: set[str]) -> None:
        for key in sorted(set(self.body) - allowed):
            self.fail(key, problem("unknown_field"))

    def done(self) -> None:
        if self.errors:
            raise ContentError(self.errors)


def _moment(c: Checker, key: str, zone: ZoneInfo, *, required: bool) -> datetime | None:
    value = c.body.get(key)
    if value is None or value == "":
        if required:
            c.fail(key, problem("datetime_required"))
        return None
    if not isinstance(value, str):
        c.fail(key, problem("datetime", value=value))
        return None
    try:
        moment = datetime.fromisoformat(value.strip())  # Python ≥ 3.11 reads a trailing "Z"
    except ValueError:
        c.fail(key, problem("datetime", value=value))
        return None
    # A time without an offset is local to the event's own timezone, as an organiser means it.
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _zone(c: Checker) -> tuple[str, ZoneInfo]:
    name = c.body.get("timezone") or "Asia/Shanghai"
    try:
        return str(name), ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        c.fail("timezone", problem("timezone", value=name))
        return "Asia/Shanghai", ZoneInfo("Asia/Shanghai")
