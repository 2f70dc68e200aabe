"""HTTP Message Signatures (RFC 9421) for ActivityPub requests, with RFC 9530 Content-Digest.

Verifying: ``verify_rfc9421`` follows Mastodon's RFC 9421 policy (docs/mastodon-interop.md
C12) and returns the same ``VerifyResult`` (``fedi.signatures``) as the draft-cavage verifier
in ``fedi.httpsig``; ``fedi.verify.verify_request`` sends here a request that carries
``Signature-Input``. Rules:

- exactly one signature (Mastodon accepts only one; a request with several is refused rather
  than having us pick one, so a sender never gets different answers from us and Mastodon);
- ``keyid`` and ``created`` parameters required; ``created`` within ``skew`` of our clock;
  ``expires``, when given, not past;
- covered: ``@method`` and ``@target-uri`` (or the same information as ``@authority`` plus
  ``@path``/``@query`` or ``@request-target``); ``content-digest`` on requests with a body,
  checked against the exact body bytes (``sha-256`` and/or ``sha-512``);
- ``alg``: ``rsa-v1_5-sha256``, ``rsa-pss-sha512`` or ``ed25519``; absent, the key decides
  (RSA: ``rsa-v1_5-sha256``, Ed25519: ``ed25519``). HMAC and ECDSA are not accepted.
- component identifiers with parameters (``;sf``, ``;key``, ``;bs``, ``;req``, ``;tr``,
  ``@query-param;name=``) are refused as unsupported.

The ``@signature-params`` line is the canonical re-serialization of the received inner list,
which is what RFC 9421 §3.2 step 6 prescribes (and what Fedify does); for every sender that
emits canonical Structured Fields (all we know of) it equals the received text.

Signing: ``sign_rfc9421`` and ``RFC9421SignatureAuth`` sign Fedify's component set
(``@method @target-uri @authority host date`` plus ``content-digest`` with a body) under the
label ``sig1``. Outgoing deliveries stay draft-cavage unless the caller asks for this scheme
(``fedi.delivery.deliver(signature_scheme=...)``).

This module does no I/O and knows no database; keys come from the caller's ``KeyLookup``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import http_sf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from fedi.httpsig import HTTPSignatureAuth
from fedi.keys import load_signing_key
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
    "DEFAULT_COMPONENTS",
    "DEFAULT_LABEL",
    "SUPPORTED_ALGORITHMS",
    "SUPPORTED_DIGESTS",
    "RFC9421SignatureAuth",
    "SignatureInput",
    "check_content_digest",
    "content_digest",
    "parse_signatures",
    "sign_rfc9421",
    "signature_base",
    "verify_rfc9421",
]

SUPPORTED_ALGORITHMS = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519"})
# RFC 9530 algorithms we check; "sha-256" is what Fedify and Mastodon send.
SUPPORTED_DIGESTS: Mapping[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}
DEFAULT_LABEL = "sig1"
# Fedify's set; "content-digest" is appended when the request has a body.
DEFAULT_COMPONENTS = ("@method", "@target-uri", "@authority", "host", "date")

_DERIVED = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}
)
# Derived components that exist in RFC 9421 but that we do not evaluate.
_UNSUPPORTED_DERIVED = frozenset({"@query-param", "@status", "@signature-params"})
_FIELD_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_PKCS1V15 = padding.PKCS1v15()
# RFC 9421 §3.3.1: MGF1 with SHA-512 and a 64-byte salt.
_PSS_SHA512 = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
_SHA256 = hashes.SHA256()
_SHA512 = hashes.SHA512()


@dataclass(frozen=True, slots=True)
class SignatureInput:
    """One signature of a request: its ``Signature-Input`` member and ``Signature`` bytes."""

    label: str
    components: tuple[str, ...]
    key_id: str
    created: int
    expires: int | None
    alg: str | None
    signature: bytes
    # The serialized inner list with its parameters: the value of "@signature-params".
    signature_params: str


# ---------------------------------------------------------------------------------------
# Header fields and Structured Fields


def _fields(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lowercased field name -> value, several field lines joined by ", " (RFC 9421 §2.1).

    Accepts a mapping whose ``items()`` repeats names (Starlette) or merges them (httpx).
    """
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    joined: dict[str, list[str]] = {}
    for name, value in pairs:
        joined.setdefault(name.lower(), []).append(value.strip())
    return {name: ", ".join(values) for name, values in joined.items()}


def _parse_dictionary(value: str, field: str) -> dict[str, Any]:
    try:
        parsed = http_sf.parse(to_bytes(value), tltype="dictionary")
    except (http_sf.StructuredFieldError, ValueError, UnicodeError) as exc:
        raise SignatureError(VerifyFailure.MALFORMED, f"unparsable {field}: {exc}") from None
    if not isinstance(parsed, dict):  # pragma: no cover - tltype guarantees it
        raise SignatureError(VerifyFailure.MALFORMED, f"{field} is not a dictionary")
    return parsed


def _serialize_member(member: Any) -> str:
    # The public API serializes whole dictionaries; drop the one-letter key and "=".
    return http_sf.ser({"s": member})[2:]


def _int_param(params: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    value = params.get(name)
    if value is None:
        if required:
            raise SignatureError(VerifyFailure.MALFORMED, f"the {name} parameter is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SignatureError(VerifyFailure.MALFORMED, f"{name} is not an integer")
    return value


def parse_signatures(signature_input: str, signature: str) -> list[SignatureInput]:
    """Parse ``Signature-Input`` and ``Signature``; raise ``SignatureError(MALFORMED)``.

    Every label of ``Signature-Input`` must have its ``Signature`` and the reverse.
    """
    inputs = _parse_dictionary(signature_input, "Signature-Input")
    values = _parse_dictionary(signature, "Signature")
    if not inputs:
        raise SignatureError(VerifyFailure.MALFORMED, "Signature-Input is empty")
    if set(inputs) != set(values):
        raise SignatureError(
            VerifyFailure.MALFORMED, "Signature-Input and Signature name different labels"
        )
    result = []
    for label, member in inputs.items():
        items, params = member
        if not isinstance(items, list):
            raise SignatureError(VerifyFailure.MALFORMED, f"{label}: not an inner list")
        components = []
        for item, item_params in items:
            if not isinstance(item, str) or isinstance(item, http_sf.Token):
                raise SignatureError(VerifyFailure.MALFORMED, f"{label}: components are strings")
            if item_params:
                raise SignatureError(
                    VerifyFailure.MALFORMED, f"{label}: component parameters are not supported"
                )
            components.append(item)
        key_id = params.get("keyid")
        if not isinstance(key_id, str) or not key_id:
            raise SignatureError(VerifyFailure.MALFORMED, "the keyid parameter is required")
        alg = params.get("alg")
        if alg is not None and not isinstance(alg, str):
            raise SignatureError(VerifyFailure.MALFORMED, "alg is not a string")
        sig_value, _ = values[label]
        if not isinstance(sig_value, bytes) or not sig_value:
            raise SignatureError(VerifyFailure.MALFORMED, f"{label}: Signature is not a byte sequence")
        result.append(
            SignatureInput(
                label=label,
                components=tuple(components),
                key_id=key_id,
                created=_int_param(params, "created", required=True),  # type: ignore[arg-type]
                expires=_int_param(params, "expires", required=False),
                alg=str(alg) if alg is not None else None,
                signature=sig_value,
                signature_params=_serialize_member(member),
            )
        )
    return result


# ---------------------------------------------------------------------------------------
# The signature base


def _authority(host: str, scheme: str) -> str:
    """``@authority``: the Host value lowercased, without the scheme's default port."""
    host = host.strip().lower()
    name, sep, port = host.rpartition(":")
    if sep and "]" not in port and port == _DEFAULT_PORTS.get(scheme.lower()):
        return name
    return host


def signature_base(
    components: Sequence[str],
    signature_params: str,
    *,
    method: str,
    scheme: str,
    target: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> str:
    """The RFC 9421 §2.5 signature base (no trailing newline).

    ``target`` is the raw path plus ``?`` and the raw query, as received; ``scheme`` and the
    Host header give ``@target-uri`` and ``@authority``. Raises ``SignatureError``: MALFORMED
    for a repeated or unknown component, MISSING_HEADER for an absent field.
    """
    fields = _fields(headers)
    path, has_query, query = target.partition("?")
    path = path or "/"
    seen: set[str] = set()
    lines = []

    def authority() -> str:
        host = fields.get("host")
        if not host:
            raise SignatureError(VerifyFailure.MISSING_HEADER, "missing header host")
        return _authority(host, scheme)

    for name in components:
        if name in seen:
            raise SignatureError(VerifyFailure.MALFORMED, f"component {name} is repeated")
        seen.add(name)
        if name == "@method":
            value = method
        elif name == "@target-uri":
            value = f"{scheme.lower()}://{authority()}{path}{'?' + query if has_query else ''}"
        elif name == "@authority":
            value = authority()
        elif name == "@scheme":
            value = scheme.lower()
        elif name == "@request-target":
            value = path + ("?" + query if has_query else "")
        elif name == "@path":
            value = path
        elif name == "@query":
            value = "?" + query
        elif name.startswith("@"):
            raise SignatureError(VerifyFailure.MALFORMED, f"unsupported component {name}")
        elif not _FIELD_NAME_RE.fullmatch(name):
            raise SignatureError(VerifyFailure.MALFORMED, f"invalid component {name!r}")
        else:
            found = fields.get(name.lower())
            if found is None:
                raise SignatureError(VerifyFailure.MISSING_HEADER, f"missing header {name}")
            value = found
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {signature_params}')
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Content-Digest (RFC 9530)


def content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """The ``Content-Digest`` value for ``body``, e.g. ``sha-256=:<base64>:``."""
    digest = SUPPORTED_DIGESTS[algorithm](body).digest()
    return f"{algorithm}=:{base64.b64encode(digest).decode('ascii')}:"


def check_content_digest(value: str | None, body: bytes) -> None:
    """Raise ``SignatureError`` unless ``value`` holds a supported digest of ``body``.

    Every supported algorithm present must match; unknown ones are ignored; at least one
    supported one is required (DIGEST_MISSING otherwise).
    """
    if value is None:
        raise SignatureError(VerifyFailure.DIGEST_MISSING, "missing Content-Digest header")
    digests = _parse_dictionary(value, "Content-Digest")
    found = False
    for algorithm, (digest, _) in digests.items():
        hasher = SUPPORTED_DIGESTS.get(algorithm.lower())
        if hasher is None:
            continue
        if not isinstance(digest, bytes):
            raise SignatureError(VerifyFailure.MALFORMED, f"Content-Digest {algorithm} is not bytes")
        if not hmac.compare_digest(digest, hasher(body).digest()):
            raise SignatureError(VerifyFailure.DIGEST_MISMATCH, "Content-Digest does not match body")
        found = True
    if not found:
        raise SignatureError(VerifyFailure.DIGEST_MISSING, "Content-Digest has no sha-256 or sha-512")


# ---------------------------------------------------------------------------------------
# Verifying


async def verify_rfc9421(
    request: IncomingRequest, key_lookup: KeyLookup, *, now: datetime | None = None, skew: timedelta = DEFAULT_SKEW
) -> VerifyResult:
    """Verify a request's RFC 9421 signature; never raises for a bad request.

    ``request.scheme`` is part of ``@target-uri``. On success the result names the key owner.
    """
    method, target, body = request.method, request.target, request.body
    fields = _fields(request.headers)
    key_id: str | None = None
    try:
        sig = _parse_one(fields)
        key_id = sig.key_id
        _check_policy(sig, method.upper(), target, now or datetime.now(UTC), skew, has_body=bool(body))
        if "content-digest" in sig.components:
            check_content_digest(fields.get("content-digest"), body)
        base = signature_base(
            sig.components,
            sig.signature_params,
            method=method,
            scheme=request.scheme,
            target=target,
            headers=fields,
        )
        signed = to_bytes(base)
        owner = await verified_owner(
            key_lookup, sig.key_id, lambda info: _verify(info, sig.alg, sig.signature, signed)
        )
    except SignatureError as exc:
        return VerifyResult(False, exc.reason, exc.detail, key_id, None)
    return VerifyResult(True, None, "signature verified", key_id, owner)


def _parse_one(fields: Mapping[str, str]) -> SignatureInput:
    signature_input = fields.get("signature-input")
    signature = fields.get("signature")
    if signature_input is None or signature is None:
        raise SignatureError(
            VerifyFailure.MISSING_SIGNATURE, "RFC 9421 needs both Signature-Input and Signature"
        )
    signatures = parse_signatures(signature_input, signature)
    if len(signatures) != 1:
        raise SignatureError(VerifyFailure.MALFORMED, "exactly one signature is accepted")
    return signatures[0]


def _check_policy(
    sig: SignatureInput, method: str, target: str, now: datetime, skew: timedelta, *, has_body: bool = False
) -> None:
    if sig.alg is not None and sig.alg not in SUPPORTED_ALGORITHMS:
        raise SignatureError(VerifyFailure.UNSUPPORTED_ALGORITHM, f"unsupported alg {sig.alg}")
    covered = set(sig.components)
    for name in covered & _UNSUPPORTED_DERIVED:
        raise SignatureError(VerifyFailure.MALFORMED, f"unsupported component {name}")
    if "@method" not in covered:
        raise SignatureError(VerifyFailure.WEAK_COVERAGE, "@method must be covered")
    has_query = "?" in target
    uri_covered = "@target-uri" in covered or (
        "@authority" in covered
        and (
            "@request-target" in covered
            or ("@path" in covered and ("@query" in covered or not has_query))
        )
    )
    if not uri_covered:
        raise SignatureError(VerifyFailure.WEAK_COVERAGE, "@target-uri must be covered")
    if (method in _BODY_METHODS or has_body) and "content-digest" not in covered:
        raise SignatureError(VerifyFailure.WEAK_COVERAGE, f"content-digest must be covered on {method} with a body")
    now_ts = utc_timestamp(now)
    window = skew.total_seconds()
    if abs(now_ts - sig.created) > window:
        raise SignatureError(VerifyFailure.DATE_OUT_OF_WINDOW, "created outside time window")
    if sig.expires is not None and now_ts > sig.expires:
        raise SignatureError(VerifyFailure.SIGNATURE_EXPIRED, "signature has expired")


def _verify(info: PublicKeyInfo, alg: str | None, signature: bytes, base: bytes) -> bool:
    key = public_key(info)
    try:
        if isinstance(key, RSAPublicKey):
            if alg in (None, "rsa-v1_5-sha256"):
                key.verify(signature, base, _PKCS1V15, _SHA256)
            elif alg == "rsa-pss-sha512":
                key.verify(signature, base, _PSS_SHA512, _SHA512)
            else:
                return False
        elif isinstance(key, Ed25519PublicKey) and alg in (None, "ed25519"):
            key.verify(signature, base)
        else:
            return False
    except InvalidSignature:
        return False
    return True


# ---------------------------------------------------------------------------------------
# Signing


def sign_rfc9421(
    request: OutgoingRequest,
    key_id: str,
    private_key_pem: str,
    *,
    label: str = DEFAULT_LABEL,
    components: Sequence[str] | None = None,
) -> dict[str, str]:
    """Return the headers to add so the request carries an RFC 9421 signature.

    Adds ``Host`` and ``Date`` (existing ones win, as they go on the wire), ``Content-Digest``
    (SHA-256) when there is a body, ``Signature-Input`` and ``Signature``. ``alg`` follows the
    key: ``rsa-v1_5-sha256`` for RSA, ``ed25519`` for Ed25519.
    """
    key = load_signing_key(private_key_pem)
    fields = _fields(request.headers)
    added = {"Host": request.host(fields), "Date": fields.get("date") or request.http_date}
    covered = list(components if components is not None else DEFAULT_COMPONENTS)
    if request.body is not None:
        added["Content-Digest"] = content_digest(request.body)
        if "content-digest" not in covered:
            covered.append("content-digest")
    for name, value in added.items():
        fields[name.lower()] = value
    alg = "ed25519" if isinstance(key, Ed25519PrivateKey) else "rsa-v1_5-sha256"
    member = ([(name, {}) for name in covered], {"created": int(request.moment), "keyid": key_id, "alg": alg})
    params = _serialize_member(member)
    base = to_bytes(
        signature_base(
            covered,
            params,
            method=request.method.upper(),
            scheme=request.url.scheme,
            target=request.target,
            headers=fields,
        )
    )
    if isinstance(key, Ed25519PrivateKey):
        signature = key.sign(base)
    else:
        signature = key.sign(base, _PKCS1V15, _SHA256)
    added["Signature-Input"] = f"{label}={params}"
    added["Signature"] = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
    return added


class RFC9421SignatureAuth(HTTPSignatureAuth):
    """Sign every request an httpx client sends with RFC 9421 and one actor's key."""

    signer = staticmethod(sign_rfc9421)
