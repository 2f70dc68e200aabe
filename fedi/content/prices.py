"""Money: amounts and currency symbols in text, and FEP-0837 currency URIs both ways."""

from __future__ import annotations

import re
from decimal import Decimal

from .data import PriceData


def _fmt_amount(amount: Decimal) -> str:
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


_CURRENCY_SYMBOLS = {
    "CNY": "¥",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "JP¥",
    "HKD": "HK$",
    "TWD": "NT$",
    "MOP": "MOP$",
}

# FEP-0837 ``resourceConformsTo`` for money is "a currency URI"; its example uses Wikidata items.
_CURRENCY_URIS = {
    "CNY": "https://www.wikidata.org/wiki/Q39099",
    "USD": "https://www.wikidata.org/wiki/Q4917",
    "EUR": "https://www.wikidata.org/wiki/Q4916",
    "GBP": "https://www.wikidata.org/wiki/Q25224",
    "JPY": "https://www.wikidata.org/wiki/Q8146",
    "HKD": "https://www.wikidata.org/wiki/Q31015",
    "TWD": "https://www.wikidata.org/wiki/Q208526",
}

_URI_CURRENCIES = {uri: code for code, uri in _CURRENCY_URIS.items()}

_ISO4217_URN = "urn:iso:std:iso:4217:"


def currency_uri(code: str) -> str:
    return _CURRENCY_URIS.get(code.upper(), _ISO4217_URN + code.upper())


def _currency_from_uri(uri: str | None) -> str | None:
    if not uri:
        return None
    if uri in _URI_CURRENCIES:
        return _URI_CURRENCIES[uri]
    tail = re.split(r"[:/#]", uri.rstrip("/"))[-1]
    return tail.upper() if re.fullmatch(r"[A-Za-z]{3}", tail) else None


def _price_text(price: PriceData) -> str:
    symbol = _CURRENCY_SYMBOLS.get(price.currency.upper())
    amount = _fmt_amount(price.amount)
    return f"{symbol}{amount}" if symbol else f"{price.currency.upper()} {amount}"
