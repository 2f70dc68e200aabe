"""Errors raised by the ActivityPub protocol layer.

Every error is an ``Exception`` (never ``BaseException``) so workers can catch them at the job
boundary and record them. HTTP status codes that *we* answer with belong to ``web/``; the
``status`` carried here is the status the *remote* server sent us, kept for logs and retries.

::

    FediError
    ├── FetchError (url, status)          a fetch of a remote document did not give us a usable one
    │   ├── NotFound                      remote said 404
    │   ├── Gone                          remote said 410 (the object or account was deleted)
    │   ├── Unauthorized                  remote said 401 or 403 (authorized fetch, blocks)
    │   ├── NotActivityPub                wrong content type, invalid JSON, or not a JSON object
    │   ├── TooLarge                      body above the size cap
    │   ├── BlockedAddress                SSRF guard: private/reserved address or non-http(s) URL
    │   ├── TooManyRedirects              more redirects than allowed
    │   ├── FetchFailed                   any other status, network error or timeout
    │   │   └── HostCoolingDown           not tried: the host just failed (``fedi.breaker``)
    │   └── IdMismatch (document_id)      document ``id`` is neither the URL asked nor the final URL
    └── WebFingerError                    a handle could not be resolved to an actor id
"""

from __future__ import annotations

__all__ = [
    "BlockedAddress",
    "FediError",
    "FetchError",
    "FetchFailed",
    "Gone",
    "IdMismatch",
    "NotActivityPub",
    "NotFound",
    "TooLarge",
    "TooManyRedirects",
    "Unauthorized",
    "WebFingerError",
]


class FediError(Exception):
    """Base class of every error raised by ``fedi/``."""


class FetchError(FediError):
    """Fetching ``url`` failed; ``status`` is the remote HTTP status when there was one."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class NotFound(FetchError):
    """The remote answered 404."""


class Gone(FetchError):
    """The remote answered 410: the caller should treat the object as deleted."""


class Unauthorized(FetchError):
    """The remote answered 401 or 403, usually because it wants a signed fetch."""


class NotActivityPub(FetchError):
    """The response is not an ActivityPub JSON object (content type, JSON syntax or shape)."""


class TooLarge(FetchError):
    """The response body is larger than the cap the caller allowed."""


class BlockedAddress(FetchError):
    """The URL points at an address we refuse to contact (SSRF guard) or uses another scheme."""


class TooManyRedirects(FetchError):
    """The remote redirected more times than allowed."""


class FetchFailed(FetchError):
    """Any other failure: unexpected status, DNS or network error, timeout."""


class NameNotResolved(FetchFailed):
    """The URL's host name resolves to no address (DNS failed or answered nothing)."""


class IdMismatch(FetchError):
    """The document's ``id`` matches neither the URL we asked for nor the final URL.

    Accepting it would let one server speak for objects hosted elsewhere.
    """

    def __init__(
        self, message: str, *, url: str, status: int | None = None, document_id: object = None
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.document_id = document_id


class WebFingerError(FediError):
    """A handle could not be resolved; the message says why, ``__cause__`` holds any fetch error."""

    def __init__(self, message: str, *, handle: str | None = None) -> None:
        super().__init__(message)
        self.handle = handle
