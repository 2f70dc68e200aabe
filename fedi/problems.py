"""What is wrong with a value a person gave, in words a page can translate.

A :class:`Problem` is a ``str``: its text is the English message (what the JSON API, the CLI
and logs show, unchanged). It also carries a ``code`` and the values the message names, so a
page can show it in the reader's language from the catalog (``problem.<code>`` in
``web/locales``; a test checks that every code here has its zh-CN words with the same
placeholders). Pages in English use the text here, except where ``en.problems.json`` words
it for a person rather than a program (no list of codes where the form offers a choice). Every message a validator or filter gives is one of ``ENGLISH``.
"""

from __future__ import annotations

from typing import Any, Self

__all__ = ["ENGLISH", "Problem", "problem"]

ENGLISH: dict[str, str] = {
    # fields of content (actors.publishing.validation)
    "required": "required",
    "required_choice": "required: one of {options}",
    "text": "must be a string",
    "too_long": "too long: {length} characters, at most {limit}",
    "one_line": "must be one line of plain text (no line breaks or control characters)",
    "choice": "{value!r} is not one of {options}",
    "whole_number": "must be a whole number",
    "between": "must be between {minimum} and {maximum}",
    "true_or_false": "must be true or false",
    "words": "must be a list of words",
    "tag": "tags are single words of letters, digits or '_': {tag!r}",
    "too_many_tags": "at most {limit} tags",
    "number": "must be a number",
    "http_url": "must be an http(s) URL",
    "image": 'must be {{"media": TOKEN, "alt": TEXT}} for an uploaded image',
    "alt": "alt must be a string of at most {limit} characters",
    "images": "must be a list of images",
    "too_many_images": "at most {limit} images",
    "place": "must be an object with name, address, latitude, longitude",
    "place_text": "name and address must be strings",
    "both_coordinates": "give both latitude and longitude, or neither",
    "place_name": "a place needs a name or an address",
    "amount": 'amount must be a number such as "120" or "9.90"',
    "amount_range": "amount must be between 0 and 100000000",
    "amount_zero": 'an amount of 0 is not a price: use "free"',
    "amount_decimals": "at most two decimal places",
    "currency": "currency must be one of {options}",
    "unknown_field": "unknown field",
    "datetime_required": "required: a date and time such as 2026-12-06T14:00",
    "datetime": "{value!r} is not a date and time such as 2026-12-06T14:00",
    "timezone": "{value!r} is not an IANA timezone such as Asia/Shanghai",
    "end_after_start": "must be after the start",
    "too_far_back": "must not be more than {days} days in the past",
    "event_span": "an event lasts at most 60 days",
    "category": "{value!r} is not a known category (e.g. LEARNING, SPORTS, COMMUNITY)",
    "external_url": "required when join_mode is external: where people sign up",
    "price": 'must be {{"amount": "120", "currency": "CNY"}}, "free", "swap" or "negotiable"',
    "price_field": "unknown price field {value!r}",
    "venue_price": 'must be {{"amount": "50", "currency": "CNY"}} (per hour), "free" or "negotiable"',
    "condition_goods": "only goods have a condition",
    "future": "must be in the future",
    "amenities": "must be a list of amenity names",
    "amenity": "unknown amenity {value!r}; known: {options}",
    "hours_length": "at most 300 characters",
    "hours": 'a text such as "Mo-Fr 09:00-21:00; Sa 10:00-18:00" or a list of '
             '{{"days": ["Mo"], "opens": "09:00", "closes": "21:00"}}',
    "hours_days": "days are Mo, Tu, We, Th, Fr, Sa, Su (got {value!r})",
    "hours_times": "opens and closes are times such as 09:00 and 21:00",
    "hours_order": "closes ({closes}) must be after opens ({opens})",
    "json_object": "must be a JSON object",
    "content_type": "unknown type {value!r}; one of {options}",
    # changing what was published (actors.publishing.publishing)
    "no_object": "no published object at {value}",
    "kind_change": "this is a {was}; it cannot become a {kind}",
    "pin_notice": "only notices (posts) can be pinned",
    "no_image": "no uploaded image {value!r} for this community",
    # filters of the feed and the venue finder (actors.feed)
    "near": "latitude,longitude such as 22.61,114.02",
    "radius": "kilometres between 0 and 500",
    "date": "a date such as 2026-12-06",
    "price_number": "a number",
    "price_minimum": "a number of at least 0",
    "kind": "one of {options}",
    "to_before_from": "must not be before from",
    "people": "a whole number of people from 1 to 100000",
    "time": "a time such as 14:00",
    "end_after_start_time": "must be after start",
    "date_for_time": "needed with a start or end time",
}


class Problem(str):
    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, **params: Any) -> Self:
        self = super().__new__(cls, ENGLISH[code].format(**params))
        self.code = code
        self.params = params
        return self


def problem(code: str, **params: Any) -> Problem:
    return Problem(code, **params)
