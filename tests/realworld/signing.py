"""HTTP signatures as each source software signs its deliveries (``Source.sig``).

draft-cavage flavours differ in the covered headers, their order and the ``algorithm`` label;
the key id is always the actor id plus ``#main-key`` (for WordPress that id carries a query
string, ``/?author=0#main-key``). The Fedify-style sender signs RFC 9421. Header lists come from
the files named in SOURCES.md; those marked there as from memory (Lemmy, Friendica, Pleroma)
are the libraries' defaults as remembered, not re-read.
"""

from __future__ import annotations

import base64
from datetime import datetime
from email.utils import formatdate
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from fedi.httpsig import body_digest, build_signing_string
from fedi.keys import load_private_key
from fedi.rfc9421 import sign_rfc9421
from fedi.signatures import OutgoingRequest

__all__ = ["CAVAGE", "signed_post_headers"]

# flavour -> (covered headers in order, algorithm label)
CAVAGE: dict[str, tuple[tuple[str, ...], str]] = {
    # lib/federation/activity_pub/publisher.ex
    "mobilizon": (("(request-target)", "content-length", "date", "digest", "host"), "rsa-sha256"),
    # server/federation/helpers.js signAndSend
    "gancio": (("(request-target)", "host", "date", "digest"), "rsa-sha256"),
    # wordpress-activitypub includes/class-signature.php (draft-cavage branch)
    "wordpress": (("(request-target)", "host", "date", "digest"), "rsa-sha256"),
    # http-signature-normalization-reqwest (Lemmy): hs2019, content-type covered
    "lemmy": (("(request-target)", "content-type", "date", "digest", "host"), "hs2019"),
    # mastodon app/lib/request.rb
    "mastodon": (("(request-target)", "host", "date", "digest", "content-type"), "rsa-sha256"),
    # friendica src/Util/HTTPSignature.php
    "friendica": (("(request-target)", "date", "host", "digest", "content-type"), "rsa-sha256"),
    # pleroma lib/pleroma/signature.ex via http_signatures
    "pleroma": (("(request-target)", "content-length", "date", "digest", "host"), "rsa-sha256"),
}


def signed_post_headers(flavour: str, url: str, body: bytes, key_id: str, private_pem: str,
                        now: datetime) -> dict[str, str]:
    """All headers for a POST of ``body`` to ``url``, signed as ``flavour`` signs."""
    parts = urlsplit(url)
    base = {"Content-Type": "application/activity+json", "Content-Length": str(len(body))}
    if flavour == "rfc9421":
        # Fedify: @method @target-uri @authority host date, plus content-digest with a body
        return {**base, **sign_rfc9421(OutgoingRequest.of("POST", url, base, body, now), key_id, private_pem)}
    covered, algorithm = CAVAGE[flavour]
    headers = {**base, "Host": parts.netloc, "Date": formatdate(now.timestamp(), usegmt=True),
               "Digest": body_digest(body)}
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    text = build_signing_string(covered, "POST", target, headers)
    sig = load_private_key(private_pem).sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(covered)}",'
                            f'signature="{base64.b64encode(sig).decode("ascii")}"')
    return headers
