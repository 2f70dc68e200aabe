"""HTTP Signatures (draft-cavage-http-signatures-12) as ActivityPub servers use them.

Signing: ``sign_headers`` computes Host, Date, Digest and Signature for one request, and
``HTTPSignatureAuth`` runs it on every outgoing httpx request, so all signed GETs and POSTs
go through one place.

Verifying: ``verify_cavage`` mirrors Mastodon's policy (docs/mastodon-interop.md, C2-C9)
and never raises for a bad request; it returns a frozen ``VerifyResult`` whose
``VerifyFailure`` reason the web layer maps to a status code. Keys come from a ``KeyLookup``
callable supplied by the caller, so this module does no I/O and knows no database. Results,
errors and the key lookup are shared with RFC 9421 in ``fedi.signatures``; the entry that
picks the scheme of a request is ``fedi.verify.verify_request``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import ClassVar

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from fedi.keys import load_private_key
from fedi.signatures import (
    DEFAULT_SKEW,
    IncomingRequest,
    KeyLookup,
    OutgoingRequest,
    PublicKeyInfo,
    SignatureError,
    VerifyFailure,
    VerifyResult,
    public_key,
    to_bytes,
    utc_timestamp,
    verified_owner,
)

__all__ = [
    "SUPPORTED_ALGORITHMS",
    "HTTPSignatureAuth",
    "SignatureParams",
    "body_digest",
    "build_signing_string",
    "parse_signature_header",
    "sign_cavage",
    "sign_headers",
    "verify_cavage",
]

# hs2019 means "the key decides": RSA keys verify as PKCS#1 v1.5 + SHA-256 (what GoToSocial
# sends), Ed25519 keys as Ed25519.
SUPPORTED_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
# A sender-supplied `expires` is honoured only this far past `created`, as Mastodon does, so
# a signature cannot be made replayable for days.
_MAX_SIGNATURE_LIFETIME = 12 * 3600

_PSEUDO_HEADERS = frozenset({"(request-target)", "(created)", "(expires)"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Stateless, so shared: building them on every call costs a fifth of an RSA verify.
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()

# One `name=value` item of a Signature header; the value is a quoted string (with
# backslash escapes) or, as some senders emit, a bare token.
_PARAM_RE = re.compile(
    r"[ \t]*([A-Za-z][A-Za-z0-9_.-]*)[ \t]*=[ \t]*"
    # The quoted branch is the "unrolled loop" form: a per-character alternation would be
    # ten times slower on a 350-character base64 signature.
    r'(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^",\s]*))[ \t]*'
)
_ESCAPE_RE = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """The parameters of one draft-cavage ``Signature`` header."""

    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: int | None
    expires: int | None


# ---------------------------------------------------------------------------------------
# Parsing and the signing string


def parse_signature_header(value: str) -> SignatureParams:
    """Parse a draft-cavage ``Signature`` header; raise ``SignatureError(MALFORMED)``."""
    raw = _parse_params(value)
    key_id = raw.get("keyId")
    signature = raw.get("signature")
    if not key_id or not signature:
        raise SignatureError(VerifyFailure.MALFORMED, "keyId and signature are required")
    try:
        sig_bytes = base64.b64decode(signature, validate=True)
    except ValueError:
        raise SignatureError(VerifyFailure.MALFORMED, "signature is not base64") from None
    headers = raw.get("headers")
    return SignatureParams(
        key_id=key_id,
        algorithm=raw.get("algorithm"),
        headers=tuple(headers.lower().split()) if headers is not None else (),
        signature=sig_bytes,
        created=_int_param(raw, "created"),
        expires=_int_param(raw, "expires"),
    )


def _parse_params(value: str) -> dict[str, str]:
    # Mastodon tolerates a leading auth-scheme-style "Signature " prefix.
    if value[:10].lower() == "signature ":
        value = value[10:]
    params: dict[str, str] = {}
    pos, end = 0, len(value)
    while pos < end:
        match = _PARAM_RE.match(value, pos)
        if match is None:
            raise SignatureError(VerifyFailure.MALFORMED, "unparsable Signature header")
        name, quoted, token = match.groups()
        if name in params:
            raise SignatureError(VerifyFailure.MALFORMED, f"duplicate parameter {name}")
        if quoted is None:
            params[name] = token
        else:
            params[name] = _ESCAPE_RE.sub(r"\1", quoted) if "\\" in quoted else quoted
        pos = match.end()
        if pos < end:
            if value[pos] != ",":
                raise SignatureError(VerifyFailure.MALFORMED, "unparsable Signature header")
            pos += 1
    return params


def _int_param(raw: Mapping[str, str], name: str) -> int | None:
    text = raw.get(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise SignatureError(VerifyFailure.MALFORMED, f"{name} is not an integer") from None


def build_signing_string(
    covered: Sequence[str],
    method: str,
    target: str,
    headers: Mapping[str, str],
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """Build the string that is signed, one ``name: value`` line per covered header.

    ``headers`` may use any case. Raises ``SignatureError`` for a covered header that is
    absent (MISSING_HEADER) or a pseudo-header without its value (MALFORMED).
    """
    lower = {name.lower(): value for name, value in headers.items()}
    return _signing_string(covered, method.lower(), target, lower, created, expires)


def _signing_string(
    covered: Sequence[str],
    method_lower: str,
    target: str,
    lower: Mapping[str, str],
    created: int | None,
    expires: int | None,
) -> str:
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method_lower} {target}")
        elif name == "(created)" and created is not None:
            lines.append(f"(created): {created}")
        elif name == "(expires)" and expires is not None:
            lines.append(f"(expires): {expires}")
        elif name.startswith("("):
            raise SignatureError(VerifyFailure.MALFORMED, f"cannot sign pseudo-header {name}")
        else:
            value = lower.get(name)
            if value is None:
                raise SignatureError(VerifyFailure.MISSING_HEADER, f"missing header {name}")
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def body_digest(body: bytes) -> str:
    """The RFC 3230 ``Digest`` header value for ``body``: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


# ---------------------------------------------------------------------------------------
# Signing


def sign_headers(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """Return the headers to add so that the request is signed: ``sign_cavage`` for one
    request given by its parts."""
    return sign_cavage(OutgoingRequest.of(method, url, headers, body, now), key_id, private_key_pem)


def sign_cavage(request: OutgoingRequest, key_id: str, private_key_pem: str) -> dict[str, str]:
    """Return the headers to add so that the request is signed (Mastodon's format, D1/D2).

    With a body: ``(request-target) host date digest`` plus ``content-type`` when the
    request has one. Without: ``(request-target) host date`` plus ``accept`` when present.
    An existing Host header wins over the URL because it is what goes on the wire.
    """
    lower = {name.lower(): value for name, value in request.headers.items()}
    added = {"Host": request.host(lower), "Date": request.http_date}
    covered = ["(request-target)", "host", "date"]
    if request.body is not None:
        added["Digest"] = body_digest(request.body)
        covered.append("digest")
        optional = "content-type"
    else:
        optional = "accept"
    if optional in lower:
        covered.append(optional)
    lower.update((name.lower(), value) for name, value in added.items())
    signing_string = _signing_string(covered, request.method.lower(), request.target, lower, None, None)
    signature = load_private_key(private_key_pem).sign(
        to_bytes(signing_string), _PKCS1V15, _SHA256
    )
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return added


class HTTPSignatureAuth(httpx.Auth):
    """Sign every request an httpx client sends with one actor's key."""

    requires_request_body = True

    def __init__(
        self,
        key_id: str,
        private_key_pem: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.key_id = key_id
        self.private_key_pem = private_key_pem
        self.clock = clock

    # The function that computes the headers to add; RFC9421SignatureAuth swaps in its own.
    signer: ClassVar[Callable[[OutgoingRequest, str, str], dict[str, str]]] = staticmethod(sign_cavage)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        body = request.content if request.method in _BODY_METHODS else None
        now = self.clock() if self.clock is not None else None
        outgoing = OutgoingRequest.of(request.method, str(request.url), request.headers, body, now)
        request.headers.update(self.signer(outgoing, self.key_id, self.private_key_pem))
        yield request


# ---------------------------------------------------------------------------------------
# Verifying


async def verify_cavage(
    request: IncomingRequest, key_lookup: KeyLookup, *, now: datetime | None = None, skew: timedelta = DEFAULT_SKEW
) -> VerifyResult:
    """Verify a request's draft-cavage ``Signature``; never raises for a bad request.

    On success the result names the key owner, which the caller must compare with the
    activity's actor. :func:`fedi.verify.verify_request` is the entry that picks the scheme.
    """
    method, target, body = request.method, request.target, request.body
    lower = {name.lower(): value for name, value in request.headers.items()}
    key_id: str | None = None
    try:
        params = _parse_request_signature(lower)
        key_id = params.key_id
        covered, algorithm = _check_params(params, method, has_body=bool(body))
        _check_time(params, covered, lower, now or datetime.now(UTC), skew)
        if "digest" in covered or method.upper() in _BODY_METHODS or body:
            _check_digest(lower, body)
        candidates = _replayable(_candidate_strings(params, covered, method.lower(), target, lower))
        owner = await verified_owner(
            key_lookup,
            params.key_id,
            lambda info: _verify_any(info, algorithm, params.signature, candidates()),
        )
    except SignatureError as exc:
        return VerifyResult(False, exc.reason, exc.detail, key_id, None)
    return VerifyResult(True, None, "signature verified", key_id, owner)


def _parse_request_signature(lower: Mapping[str, str]) -> SignatureParams:
    value = lower.get("signature")
    if value is None:
        raise SignatureError(VerifyFailure.MISSING_SIGNATURE, "request is not signed")
    return parse_signature_header(value)


def _check_params(
    params: SignatureParams, method: str, *, has_body: bool = False
) -> tuple[tuple[str, ...], str]:
    """Return (covered headers, algorithm) once both are acceptable."""
    algorithm = (params.algorithm or "hs2019").lower()
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise SignatureError(
            VerifyFailure.UNSUPPORTED_ALGORITHM, f"unsupported algorithm {params.algorithm}"
        )
    covered = params.headers or (("(created)",) if algorithm == "hs2019" else ("date",))
    for name in covered:
        if name in _PSEUDO_HEADERS:
            if name != "(request-target)" and algorithm != "hs2019":
                raise SignatureError(VerifyFailure.MALFORMED, f"{name} requires hs2019")
            if (name == "(created)" and params.created is None) or (
                name == "(expires)" and params.expires is None
            ):
                raise SignatureError(VerifyFailure.MALFORMED, f"{name} without its parameter")
        elif name.startswith("("):
            raise SignatureError(VerifyFailure.MALFORMED, f"unknown pseudo-header {name}")
    _check_coverage(covered, method.upper(), has_body)
    return covered, algorithm


def _check_coverage(covered: tuple[str, ...], method: str, has_body: bool = False) -> None:
    """What a signature must cover so that it cannot be replayed elsewhere: the method and path
    ((request-target)), the receiving host, a time (date, or (created) with hs2019) and, with a
    body, its digest. A signature over only ``date digest`` could be sent again to any path
    on any instance within the hour."""
    if "(request-target)" not in covered:
        raise SignatureError(VerifyFailure.WEAK_COVERAGE, "(request-target) must be signed")
    if "host" not in covered:
        raise SignatureError(VerifyFailure.WEAK_COVERAGE, "host must be signed")
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError(VerifyFailure.WEAK_COVERAGE, "date (or (created)) must be signed")
    if (method in _BODY_METHODS or has_body) and "digest" not in covered:
        raise SignatureError(VerifyFailure.WEAK_COVERAGE, "digest must be signed with a body")


def _check_time(
    params: SignatureParams,
    covered: tuple[str, ...],
    lower: Mapping[str, str],
    now: datetime,
    skew: timedelta,
) -> None:
    now_ts = utc_timestamp(now)
    window = skew.total_seconds()
    if "date" in covered:
        value = lower.get("date")
        if value is None:
            raise SignatureError(VerifyFailure.MISSING_HEADER, "missing header date")
        date_ts = _parse_http_date(value)
        if date_ts is None:
            raise SignatureError(VerifyFailure.DATE_INVALID, "Date is not an HTTP date")
        if abs(now_ts - date_ts) > window:
            raise SignatureError(VerifyFailure.DATE_OUT_OF_WINDOW, "Date outside time window")
    if "(created)" in covered and params.created is not None:
        created = params.created
        expires = min(params.expires or created, created + _MAX_SIGNATURE_LIFETIME)
        if created > now_ts + window or now_ts > expires + window:
            raise SignatureError(VerifyFailure.DATE_OUT_OF_WINDOW, "(created) outside time window")


@lru_cache(maxsize=1024)
def _parse_http_date(value: str) -> float | None:
    # Busy inboxes see the same Date value many times within a second; caching the parse
    # keeps it off the hot path.
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000" means UTC in RFC 5322
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _check_digest(lower: Mapping[str, str], body: bytes) -> None:
    value = lower.get("digest")
    if value is None:
        raise SignatureError(VerifyFailure.DIGEST_MISSING, "missing Digest header")
    expected = body_digest(body)[len("SHA-256=") :]
    found = False
    for item in value.split(","):
        algorithm, _, encoded = item.strip().partition("=")
        if algorithm.lower() != "sha-256":
            continue
        if encoded.strip() != expected:
            raise SignatureError(VerifyFailure.DIGEST_MISMATCH, "Digest does not match body")
        found = True
    if not found:
        raise SignatureError(VerifyFailure.DIGEST_MISSING, "Digest has no SHA-256 value")


def _candidate_strings(
    params: SignatureParams,
    covered: tuple[str, ...],
    method_lower: str,
    target: str,
    lower: Mapping[str, str],
) -> Iterator[bytes]:
    """Signing strings to try: with the query first, then path only (C5).

    A generator, so the path-only string is built only when the first one fails.
    """
    yield to_bytes(
        _signing_string(covered, method_lower, target, lower, params.created, params.expires)
    )
    if "?" in target and "(request-target)" in covered:
        path = target.partition("?")[0]
        yield to_bytes(
            _signing_string(covered, method_lower, path, lower, params.created, params.expires)
        )


def _replayable(strings: Iterator[bytes]) -> Callable[[], Iterator[bytes]]:
    """The candidates again for each key tried, each string built once and only when needed."""
    built: list[bytes] = []

    def candidates() -> Iterator[bytes]:
        yield from built
        for data in strings:
            built.append(data)
            yield data

    return candidates


def _verify_any(
    info: PublicKeyInfo, algorithm: str, signature: bytes, candidates: Iterable[bytes]
) -> bool:
    key = public_key(info)
    for data in candidates:
        try:
            if isinstance(key, RSAPublicKey):
                key.verify(signature, data, _PKCS1V15, _SHA256)
            elif isinstance(key, Ed25519PublicKey) and algorithm == "hs2019":
                key.verify(signature, data)
            else:
                return False
        except InvalidSignature:
            continue
        return True
    return False
