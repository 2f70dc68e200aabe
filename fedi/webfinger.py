"""WebFinger (RFC 7033) as Mastodon uses it: handles, JRD documents, host-meta and lookups.

Both directions live here: parsing the ``resource`` a remote server asks us about and building
our JRD answer, and resolving someone else's ``name@host`` handle to an actor id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypedDict, Unpack
from urllib.parse import unquote
from xml.sax.saxutils import quoteattr

import httpx

from fedi.errors import FetchError, Gone, NotFound, WebFingerError
from fedi.fetch import Resolver, default_resolver, fetch_json

__all__ = [
    "AP_PROFILE_TYPE",
    "AP_TYPE",
    "JRD_ACCEPT",
    "PROFILE_PAGE_REL",
    "USERNAME_RE",
    "LookupOptions",
    "host_meta_xml",
    "is_valid_username",
    "jrd",
    "parse_handle",
    "parse_resource",
    "resolve_handle",
    "webfinger_document",
]

# Mastodon's Account::USERNAME_RE: no spaces, no leading or trailing "." or "-".
USERNAME_RE = re.compile(r"[a-z0-9_]+([.-]+[a-z0-9_]+)*", re.IGNORECASE)

# The only two self-link types Mastodon accepts (app/lib/webfinger.rb); we publish the first.
AP_TYPE = "application/activity+json"
AP_PROFILE_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page"
JRD_ACCEPT = "application/jrd+json, application/json"

_URL_RE = re.compile(r"https?://", re.IGNORECASE)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_RE = re.compile(
    rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{{1,5}}))?", re.IGNORECASE
)


def is_valid_username(name: str) -> bool:
    """Whether Mastodon would accept ``name`` as a username."""
    return USERNAME_RE.fullmatch(name) is not None


def _normalize_host(host: str) -> str:
    try:
        # Internationalized names travel as punycode; a host that cannot be encoded is invalid.
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise ValueError(f"invalid host {host!r}") from exc
    match = _HOST_RE.fullmatch(ascii_host)
    if match is None:
        raise ValueError(f"invalid host {host!r}")
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError(f"invalid port in host {host!r}")
    return ascii_host.lower()


def parse_handle(handle: str) -> tuple[str, str]:
    """Split ``@name@host``, ``name@host`` or ``acct:name@host`` into ``(name, host)``.

    The host may carry a port (``127.0.0.1:8001``) and is lowercased; the name keeps its case
    (usernames compare case-insensitively, so callers fold it when they look it up).
    """
    text = handle.strip()
    if text[:5].lower() == "acct:":
        text = text[5:]
    text = text.removeprefix("@")
    name, sep, host = text.partition("@")
    if not sep or "@" in host:
        raise ValueError(f"handle {handle!r} must look like name@host")
    if not is_valid_username(name):
        raise ValueError(f"handle {handle!r} has an invalid username {name!r}")
    if not host:
        raise ValueError(f"handle {handle!r} has no host")
    return name, _normalize_host(host)


def parse_resource(resource: str) -> tuple[str, str] | str:
    """Parse a WebFinger ``resource`` query: ``(name, host)`` for an account, or an http(s) URL.

    Mastodon sends ``acct:name@host`` unencoded, others percent-encode it once more, and some
    clients drop ``acct:`` or write ``@name@host``. Raises ``ValueError`` for anything else.
    """
    text = resource.strip()
    if _URL_RE.match(text):
        return text
    # Decode only when the raw form is not already usable, so a literal "%" in a URL survives.
    text = unquote(text)
    if _URL_RE.match(text):
        return text
    return parse_handle(text)


def jrd(
    subject_acct: str, actor_id: str, profile_url: str | None, aliases: Sequence[str] = ()
) -> dict[str, Any]:
    """Our WebFinger answer; Mastodon checks the self link's type and href byte for byte."""
    subject = subject_acct if subject_acct.lower().startswith("acct:") else f"acct:{subject_acct}"
    links: list[dict[str, str]] = [{"rel": "self", "type": AP_TYPE, "href": actor_id}]
    if profile_url is not None:
        links.append({"rel": PROFILE_PAGE_REL, "type": "text/html", "href": profile_url})
    document: dict[str, Any] = {"subject": subject}
    if aliases:
        document["aliases"] = list(aliases)
    document["links"] = links
    return document


def host_meta_xml(base_url: str) -> str:
    """The host-meta XRD, whose ``lrdd`` template points clients at our WebFinger endpoint."""
    template = base_url.rstrip("/") + "/.well-known/webfinger?resource={uri}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template={quoteattr(template)}/>\n'
        "</XRD>\n"
    )


def _is_ap_link_type(value: object) -> bool:
    if not isinstance(value, str):
        return False
    media_type, _, params = value.partition(";")
    media_type = media_type.strip().lower()
    if media_type == AP_TYPE:
        return True
    if media_type != "application/ld+json":
        return False
    # ld+json only counts with the ActivityStreams profile, as in Mastodon.
    profile = re.search(r'profile\s*=\s*"?([^";]+)"?', params)
    return profile is not None and profile.group(1) == "https://www.w3.org/ns/activitystreams"


def _self_href(document: dict[str, Any]) -> str | None:
    links = document.get("links")
    if not isinstance(links, list):
        return None
    for link in links:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        if _is_ap_link_type(link.get("type")):
            href = link.get("href")
            if isinstance(href, str) and _URL_RE.match(href):
                return href
    return None


class LookupOptions(TypedDict, total=False):
    """How a WebFinger lookup fetches: ``scheme`` (default "https"; "http" is for local testing
    only, Mastodon always uses https), ``allow_private`` addresses (default no), the DNS
    ``resolver`` and the ``timeout`` in seconds (default 10)."""

    scheme: str
    allow_private: bool
    resolver: Resolver
    timeout: float


async def webfinger_document(
    client: httpx.AsyncClient, handle: str, **options: Unpack[LookupOptions]
) -> dict[str, Any]:
    """The WebFinger answer of ``handle``'s server for it.

    Every failure is a ``WebFingerError`` whose message names the reason; the underlying fetch
    error, if any, is its ``__cause__`` (a ``Gone`` there means the account was deleted).
    """
    scheme = options.get("scheme", "https")
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme must be http or https, not {scheme!r}")
    try:
        name, host = parse_handle(handle)
    except ValueError as exc:
        raise WebFingerError(str(exc), handle=handle) from exc
    # Unencoded, like Mastodon, because some servers only understand that form.
    url = f"{scheme}://{host}/.well-known/webfinger?resource=acct:{name}@{host}"
    try:
        return await fetch_json(
            client, url, accept=JRD_ACCEPT, require_ap=False, check_id=False,
            allow_private=options.get("allow_private", False),
            resolver=options.get("resolver", default_resolver), timeout=options.get("timeout", 10.0),
        )
    except NotFound as exc:
        raise WebFingerError(f"{name}@{host}: no such account", handle=handle) from exc
    except Gone as exc:
        raise WebFingerError(f"{name}@{host}: account is gone", handle=handle) from exc
    except FetchError as exc:
        raise WebFingerError(
            f"{name}@{host}: WebFinger lookup failed: {exc}", handle=handle
        ) from exc


async def resolve_handle(
    client: httpx.AsyncClient, handle: str, **options: Unpack[LookupOptions]
) -> str:
    """Look ``handle`` up on its host and return the actor id from the ActivityPub self link.

    Every failure is a ``WebFingerError`` whose message names the reason (``webfinger_document``).
    """
    href = _self_href(await webfinger_document(client, handle, **options))
    if href is None:
        name, host = parse_handle(handle)
        raise WebFingerError(
            f"{name}@{host}: no self link of type {AP_TYPE} in the WebFinger answer", handle=handle
        )
    return href
