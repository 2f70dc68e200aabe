"""Throughput of fedi.httpsig on one core: verifications/s and signatures/s.

Run: .venv/bin/python bench/bench_httpsig.py [N]   (needs the project installed, pip -e .)

The inbox verifies every POST it receives, so verification speed caps the inbox; the goal
is at least 20,000 verifications/s for a valid POST (an RSA-2048 verify alone is ~41k/s).
If the independent `httpsig` library imports, its HeaderVerifier is timed for comparison.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime

from fedi.httpsig import sign_headers
from fedi.keys import generate_rsa_keypair
from fedi.signatures import PublicKeyInfo
from fedi.verify import verify_request

KEY_ID = "https://yinhu.example/u/alice#main-key"
URL = "https://remote.example/inbox"
BODY = b'{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow","id":"x"}' * 8
BASE = {"Content-Type": "application/activity+json"}


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}/s"


async def bench_verify(headers: dict[str, str], info: PublicKeyInfo, n: int) -> float:
    async def lookup(key_id: str, refresh: bool) -> PublicKeyInfo:
        return info

    now = datetime.now(UTC)
    result = await verify_request("POST", "/inbox", headers, BODY, lookup, now=now)
    assert result.ok, result  # a failing request would be measuring the wrong path
    start = time.perf_counter()
    for _ in range(n):
        await verify_request("POST", "/inbox", headers, BODY, lookup, now=now)
    return time.perf_counter() - start


def bench_raw_rsa(private_pem: str, public_pem: str, n: int) -> float:
    # The floor: one bare RSA verify per request, so the overhead of ours is visible even
    # on a noisy machine.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    from fedi.keys import load_private_key, load_public_key

    key = load_public_key(public_pem)
    assert isinstance(key, RSAPublicKey)
    pad, sha = padding.PKCS1v15(), hashes.SHA256()
    signature = load_private_key(private_pem).sign(b"x", pad, sha)
    start = time.perf_counter()
    for _ in range(n):
        key.verify(signature, b"x", pad, sha)
    return time.perf_counter() - start


def bench_sign(private_pem: str, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        sign_headers("POST", URL, BASE, BODY, KEY_ID, private_pem)
    return time.perf_counter() - start


def bench_third_party(headers: dict[str, str], public_pem: str, n: int) -> float | None:
    try:
        from httpsig import HeaderVerifier  # type: ignore[import-untyped]
    except ImportError:
        return None
    start = time.perf_counter()
    for _ in range(n):
        verifier = HeaderVerifier(
            headers, public_pem, method="POST", path="/inbox", sign_header="signature"
        )
        assert verifier.verify()
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    private_pem, public_pem = generate_rsa_keypair()
    headers = BASE | sign_headers("POST", URL, BASE, BODY, KEY_ID, private_pem)
    info = PublicKeyInfo(KEY_ID, KEY_ID.partition("#")[0], public_pem)
    print(f"N={n}, RSA-2048, body {len(BODY)} bytes")
    seconds = asyncio.run(bench_verify(headers, info, n))
    print(f"fedi.httpsig verify_request      {rate(n, seconds)}")
    print(f"bare RSA-2048 verify (floor)     {rate(n, bench_raw_rsa(private_pem, public_pem, n))}")
    print(f"fedi.httpsig sign_headers        {rate(n, bench_sign(private_pem, n))}")
    third = bench_third_party(headers, public_pem, n)
    if third is None:
        print("httpsig HeaderVerifier          (httpsig not importable, skipped)")
    else:
        print(f"httpsig HeaderVerifier (1.3.0)   {rate(n, third)}")


if __name__ == "__main__":
    main()
