"""What both HTTP signature schemes share: results, reasons and errors, the key lookup, helpers.

``fedi.httpsig`` (draft-cavage) and ``fedi.rfc9421`` (RFC 9421) both build on this module and
return the same frozen ``VerifyResult`` whose ``VerifyFailure`` reason the web layer maps to a
status code; ``fedi.verify.verify_request`` picks the scheme of a request. Keys come from a
``KeyLookup`` callable supplied by the caller, so no signature module does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from urllib.parse import SplitResult, urlsplit

from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from fedi.errors import FediError
from fedi.keys import load_public_key

__all__ = [
    "DEFAULT_SKEW",
    "IncomingRequest",
    "KeyLookup",
    "OutgoingRequest",
    "PublicKeyInfo",
    "SignatureError",
    "VerifyFailure",
    "VerifyResult",
    "host_header",
    "public_key",
    "to_bytes",
    "utc_timestamp",
    "verified_owner",
]

# Mastodon, Fedify and we all accept a Date up to an hour either side of our clock.
DEFAULT_SKEW = timedelta(hours=1)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class VerifyFailure(str, enum.Enum):
    """Why a request's signature was not accepted."""

    MISSING_SIGNATURE = "missing_signature"
    MALFORMED = "malformed"
    UNSUPPORTED_SCHEME = "unsupported_scheme"  # no longer produced: RFC 9421 is verified
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    WEAK_COVERAGE = "weak_coverage"
    MISSING_HEADER = "missing_header"
    DATE_INVALID = "date_invalid"
    DATE_OUT_OF_WINDOW = "date_out_of_window"
    SIGNATURE_EXPIRED = "signature_expired"
    DIGEST_MISSING = "digest_missing"
    DIGEST_MISMATCH = "digest_mismatch"
    KEY_UNAVAILABLE = "key_unavailable"
    BAD_SIGNATURE = "bad_signature"


class SignatureError(FediError):
    """A request failed one verification step; ``detail`` is safe to show the client."""

    def __init__(self, reason: VerifyFailure, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PublicKeyInfo:
    """What a key lookup returns: the key and the actor that owns it."""

    key_id: str
    owner: str
    public_key_pem: str


# (key_id, refresh) -> key. refresh=True means "the cached key failed, fetch it again".
KeyLookup = Callable[[str, bool], Awaitable[PublicKeyInfo | None]]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of ``verify_request``; ``owner`` is set only when ``ok``."""

    ok: bool
    reason: VerifyFailure | None
    detail: str
    key_id: str | None
    owner: str | None


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """A received request as both verifiers read it.

    ``target`` is the raw path plus ``?`` and the raw query, as received; ``scheme`` is this
    server's public scheme, which only RFC 9421's ``@target-uri`` uses.
    """

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes
    scheme: str = "https"


@dataclass(frozen=True, slots=True)
class OutgoingRequest:
    """A request about to be signed, as both signing schemes read it."""

    method: str
    url: SplitResult
    headers: Mapping[str, str]
    body: bytes | None
    moment: float  # the signing time as a UTC timestamp

    @classmethod
    def of(
        cls, method: str, url: str, headers: Mapping[str, str], body: bytes | None, now: datetime | None = None
    ) -> OutgoingRequest:
        return cls(method, urlsplit(url), headers, body, utc_timestamp(now or datetime.now(UTC)))

    @property
    def target(self) -> str:
        """The path and query as the request line carries them."""
        return (self.url.path or "/") + (f"?{self.url.query}" if self.url.query else "")

    @property
    def http_date(self) -> str:
        return formatdate(self.moment, usegmt=True)

    def host(self, fields: Mapping[str, str]) -> str:
        """The Host value: one already in ``fields`` (lowercased names) wins, as it is what goes
        on the wire; else the URL's host."""
        return fields.get("host") or host_header(self.url.scheme, self.url.hostname, self.url.port)


def to_bytes(text: str) -> bytes:
    # Header values arrive as latin-1-decoded bytes (ASGI, httpx), so latin-1 restores the
    # exact bytes that were signed; UTF-8 covers callers that passed other text.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def utc_timestamp(moment: datetime) -> float:
    # A naive datetime is taken as UTC, never as the server's local time, so an injected
    # test clock means the same thing on every machine.
    return moment.timestamp() if moment.tzinfo else moment.replace(tzinfo=UTC).timestamp()


def host_header(scheme: str, hostname: str | None, port: int | None) -> str:
    if not hostname:
        raise ValueError("cannot sign a URL without a host")
    host = hostname.encode("idna").decode("ascii") if not hostname.isascii() else hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme.lower()):
        host = f"{host}:{port}"
    return host


async def verified_owner(
    key_lookup: KeyLookup, key_id: str, verify: Callable[[PublicKeyInfo], bool]
) -> str:
    """The owner of ``key_id`` once ``verify`` accepts its key: the cached key first, then, when
    that fails, the key fetched once more (rotation, C9); else raise ``BAD_SIGNATURE``."""
    info = await _lookup_key(key_lookup, key_id, refresh=False)
    if verify(info):
        return info.owner
    try:
        refreshed = await _lookup_key(key_lookup, key_id, refresh=True)
    except SignatureError:
        # We did have a key and the signature failed with it; a refetch that fails
        # changes nothing about that verdict.
        refreshed = info
    if refreshed.public_key_pem != info.public_key_pem and verify(refreshed):
        return refreshed.owner
    raise SignatureError(VerifyFailure.BAD_SIGNATURE, "signature does not verify")


async def _lookup_key(key_lookup: KeyLookup, key_id: str, *, refresh: bool) -> PublicKeyInfo:
    try:
        info = await key_lookup(key_id, refresh)
    except Exception:  # noqa: BLE001
        # The lookup does network I/O; its failure means "cannot tell", not "forged".
        info = None
    if info is None:
        raise SignatureError(VerifyFailure.KEY_UNAVAILABLE, f"cannot fetch key {key_id}")
    return info


def public_key(info: PublicKeyInfo) -> PublicKeyTypes:
    """The key a lookup returned, loaded; ``KEY_UNAVAILABLE`` when its PEM is not a key."""
    try:
        return load_public_key(info.public_key_pem)
    except ValueError:
        raise SignatureError(VerifyFailure.KEY_UNAVAILABLE, "key is not a valid PEM") from None
