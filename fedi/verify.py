"""The one entry for verifying a request's signature, whichever scheme it uses.

A request with ``Signature-Input`` is RFC 9421 (HTTP Message Signatures, ``fedi.rfc9421``);
any other is draft-cavage (``fedi.httpsig``). Both return the same ``VerifyResult``
(``fedi.signatures``) and never raise for a bad request.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from fedi.httpsig import verify_cavage
from fedi.rfc9421 import verify_rfc9421
from fedi.signatures import DEFAULT_SKEW, IncomingRequest, KeyLookup, VerifyResult

__all__ = ["verify_request"]


async def verify_request(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    key_lookup: KeyLookup,
    *,
    now: datetime | None = None,
    skew: timedelta = DEFAULT_SKEW,
    scheme: str = "https",
) -> VerifyResult:
    """Verify a request's signature: RFC 9421 when ``Signature-Input`` is present, else
    draft-cavage.

    ``target`` is the raw path plus ``?`` and the raw query, as received. ``scheme`` is this
    server's public scheme, used only for RFC 9421's ``@target-uri``. On success the result
    names the key owner, which the caller must compare with the activity's actor.
    """
    request = IncomingRequest(method, target, headers, body, scheme)
    if any(name.lower() == "signature-input" for name in headers):
        return await verify_rfc9421(request, key_lookup, now=now, skew=skew)
    return await verify_cavage(request, key_lookup, now=now, skew=skew)
