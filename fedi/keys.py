"""RSA key generation and cached PEM loading.

Loading a PEM is far from free: a private RSA key is validated on load (about 30 ms), and
even a public key parse costs more than the signature check it is needed for. Actors sign
and verify with the same few keys over and over, so both loaders memoize on the PEM text.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

__all__ = ["generate_rsa_keypair", "load_private_key", "load_public_key", "load_signing_key"]

# Large enough for every local actor plus the remote keys an instance verifies in a busy
# hour; an evicted key only costs one re-parse.
_CACHE_SIZE = 4096


def generate_rsa_keypair(bits: int = 2048) -> tuple[str, str]:
    """Return ``(private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)``.

    SPKI ("BEGIN PUBLIC KEY") is the form Mastodon and every other peer expect in
    ``publicKey.publicKeyPem``.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode("ascii")
    )
    return private_pem, public_pem


@lru_cache(maxsize=_CACHE_SIZE)
def load_private_key(pem: str) -> RSAPrivateKey:
    """Parse an unencrypted RSA private key (PKCS#8 or PKCS#1 PEM), memoized.

    Raises ``ValueError`` for unparsable input and ``TypeError`` for a non-RSA key, because
    everything we send is signed ``rsa-sha256``. Failures are not cached.
    """
    key = serialization.load_pem_private_key(pem.strip().encode("ascii"), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise TypeError(f"expected an RSA private key, got {type(key).__name__}")
    return key


@lru_cache(maxsize=_CACHE_SIZE)
def load_public_key(pem: str) -> PublicKeyTypes:
    """Parse a public key PEM (SPKI or PKCS#1 "RSA PUBLIC KEY"), memoized.

    Remote servers publish PEMs with stray surrounding whitespace, hence the strip.
    Raises ``ValueError`` for unparsable input; failures are not cached.
    """
    return serialization.load_pem_public_key(pem.strip().encode("ascii"))


@lru_cache(maxsize=1024)
def load_signing_key(pem: str) -> RSAPrivateKey | Ed25519PrivateKey:
    """Parse an RSA or Ed25519 private key PEM, memoized: what RFC 9421 signs with.

    Raises ``ValueError`` for unparsable input and ``TypeError`` for another kind of key.
    """
    key = serialization.load_pem_private_key(pem.strip().encode("ascii"), password=None)
    if not isinstance(key, RSAPrivateKey | Ed25519PrivateKey):
        raise TypeError(f"expected an RSA or Ed25519 private key, got {type(key).__name__}")
    return key
