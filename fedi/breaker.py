"""A circuit breaker per host for fetches: a host that did not answer is left alone a while.

After a name that does not resolve, a connect error or a timeout, fetches to that host fail at once (``HostCoolingDown``)
for a cool-down that grows with each failure in a row: 30 s, 1 min, 2 min, … up to 10 min.
When it has run out, the next fetch goes through as a probe, and the next cool-down is armed
meanwhile so that concurrent fetches still fail fast (a cancelled probe cannot leave the host
shut for good). Any HTTP answer, even a 404 or a 500, closes the breaker: the host is there.

The schedule is ``backoff``, the rule the delivery queue also applies to a host whose
deliveries keep failing (``actors/queues/delivery.py``, kept in the ``hosts`` table). Fetch
state lives in memory, per process: a fetch is a read on the inbox's hot path, and sharing the
state through the database would cost a query per fetch and a write per failure, for knowledge
one probe per cool-down re-learns. Pure code: the clock is passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from fedi.errors import FetchFailed

__all__ = ["FIRST_COOL_DOWN", "MAX_COOL_DOWN", "HostBreaker", "HostCoolingDown", "backoff", "host_key"]

FIRST_COOL_DOWN = timedelta(seconds=30)
MAX_COOL_DOWN = timedelta(minutes=10)


def backoff(failures: int, *, first: timedelta, cap: timedelta, threshold: int = 1) -> timedelta | None:
    """How long a host is left alone after ``failures`` failures in a row: none below
    ``threshold``, then ``first``, doubling with each further failure, at most ``cap``."""
    if failures < threshold:
        return None
    return min(first * 2 ** min(failures - threshold, 32), cap)


def host_key(url: str) -> str:
    """What a breaker counts by: the URL's host and port, lower-cased (as queue rows do)."""
    return urlsplit(url).netloc.lower()


class HostCoolingDown(FetchFailed):
    """Not tried: the host failed recently and its cool-down has not run out."""


@dataclass
class _Host:
    failures: int
    closed_until: datetime  # no fetch before this (a probe re-arms it)


class HostBreaker:
    """Failures in a row and the cool-down, per host. ``check`` before contacting a host,
    ``failed`` after a connect error or timeout, ``succeeded`` after any HTTP answer."""

    def __init__(
        self, clock: Callable[[], datetime] | None = None, *, first: timedelta = FIRST_COOL_DOWN,
        cap: timedelta = MAX_COOL_DOWN, max_hosts: int = 10_000,
    ) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.first = first
        self.cap = cap
        self.max_hosts = max_hosts
        self._hosts: dict[str, _Host] = {}

    def _cool_down(self, failures: int) -> timedelta:
        return backoff(failures, first=self.first, cap=self.cap) or self.first

    def check(self, url: str) -> None:
        """Raise ``HostCoolingDown`` while ``url``'s host cools down; once it has, let this
        call through as the probe and arm the next cool-down for the others."""
        state = self._hosts.get(host_key(url))
        if state is None:
            return
        now = self.clock()
        if now < state.closed_until:
            left = (state.closed_until - now).total_seconds()
            raise HostCoolingDown(
                f"{host_key(url)} did not answer {state.failures} time(s) in a row; next try in {left:.0f} s",
                url=url,
            )
        state.closed_until = now + self._cool_down(state.failures)

    def failed(self, url: str) -> None:
        host = host_key(url)
        state = self._hosts.pop(host, None)
        failures = (state.failures if state else 0) + 1
        if len(self._hosts) >= self.max_hosts:
            self._forget_oldest()
        self._hosts[host] = _Host(failures, self.clock() + self._cool_down(failures))

    def succeeded(self, url: str) -> None:
        self._hosts.pop(host_key(url), None)

    def remaining(self, url_or_host: str) -> timedelta:
        """How long until ``url_or_host`` (a URL, or a host as ``host_key`` gives it) may be
        tried again; zero when it may now."""
        key = host_key(url_or_host) if "://" in url_or_host else url_or_host.lower()
        state = self._hosts.get(key)
        if state is None:
            return timedelta(0)
        return max(state.closed_until - self.clock(), timedelta(0))

    def failures(self, url_or_host: str) -> int:
        key = host_key(url_or_host) if "://" in url_or_host else url_or_host.lower()
        state = self._hosts.get(key)
        return state.failures if state else 0

    def _forget_oldest(self) -> None:
        # Dicts keep insertion order and ``failed`` re-inserts: the first tenth is the stalest.
        for host in list(self._hosts)[: max(1, self.max_hosts // 10)]:
            del self._hosts[host]
