"""Browser sessions for organisers: a signed cookie, CSRF tokens, and a login rate limit.

The session is Starlette's ``SessionMiddleware`` (a cookie signed with ``settings.secret_key``
by itsdangerous): HttpOnly, SameSite=Lax, Secure when the instance URL is https, valid for 14
days. It holds the account id, the account's session version and the CSRF token. Logging out,
changing the password and disabling the account bump the version in the database
(``accounts.session_version``), so every session of the account ends at once, including a
cookie copied before. Logging in starts a fresh session (new CSRF token: no session fixation).

Every form POST carries the session's CSRF token in a hidden ``csrf`` field; it is compared
with ``hmac.compare_digest``. The JSON API authenticates with bearer tokens and needs none.

Failed logins are counted in the database (table ``login_failures``), so every process serving
the instance shares them and a restart forgets nothing; nothing is kept in memory. They are
counted per account name *and* client address (IPv6 by /64): after 3 failures each further
attempt from that address for that name must wait 2 s, then 4, 8, … up to 15 minutes. The same
name from another address is not slowed, so an attacker cannot lock the real organiser out.
One address is also slowed across names after 20 failures (a spray of names). Counts are
forgotten a day after the last failure (and those rows pruned).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request

from actors.social.accounts import Account, end_sessions, load_account
from actors.storage.instance import Instance
from actors.storage.models import accounts, login_failures
from actors.storage.settings import Settings
from fedi.fetch import socket_address

__all__ = [
    "SESSION_COOKIE",
    "LoginLimiter",
    "csrf_ok",
    "csrf_token",
    "current_account",
    "limiter",
    "log_in",
    "log_out",
    "session_middleware",
]

SESSION_COOKIE = "yinhu_session"
SESSION_AGE = 14 * 86400
CSRF_FIELD = "csrf"


def session_middleware(settings: Settings) -> Middleware:
    return Middleware(
        SessionMiddleware,  # type: ignore[arg-type]
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_AGE,
        same_site="lax",
        https_only=settings.url.startswith("https://"),
    )


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, submitted: Any) -> bool:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not expected or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(submitted.encode(), expected.encode())


async def current_account(request: Request) -> Account | None:
    """The logged-in account, or None (also when the account is gone or disabled, or its sessions
    were ended by a logout, a password change or disabling)."""
    account_id = request.session.get("account")
    if not isinstance(account_id, int):
        return None
    inst: Instance = request.app.state.instance
    async with inst.engine.connect() as conn:
        row = (
            await conn.execute(
                select(accounts.c.session_version, accounts.c.disabled_at).where(accounts.c.id == account_id)
            )
        ).first()
        if row is None or row.disabled_at is not None or request.session.get("sv") != row.session_version:
            request.session.clear()
            return None
        return await load_account(inst, conn, account_id)


async def log_in(request: Request, account: Account) -> None:
    inst: Instance = request.app.state.instance
    async with inst.engine.connect() as conn:
        version = (
            await conn.execute(select(accounts.c.session_version).where(accounts.c.id == account.id))
        ).scalar_one()
    request.session.clear()
    request.session.update({"account": account.id, "sv": version, "csrf": secrets.token_urlsafe(32)})


async def log_out(request: Request) -> None:
    """End this session and every other session of the same account."""
    account = await current_account(request)
    if account is not None:
        await end_sessions(request.app.state.instance, account.id)
    request.session.clear()


def _address_key(address: str) -> str:
    ip = socket_address(address)
    if ip is None:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))  # one host usually holds a /64
    return str(ip)


def _key(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


class LoginLimiter:
    """Exponential delays after failed logins, per (name, address) and per address, in the database."""

    def __init__(self, free_per_pair: int = 3, free_per_address: int = 20, base: float = 2.0,
                 longest: float = 15 * 60, forget_after: timedelta = timedelta(days=1)) -> None:
        self.free_per_pair = free_per_pair
        self.free_per_address = free_per_address
        self.base = base
        self.longest = longest
        self.forget_after = forget_after

    def _keys(self, name: str, address: str) -> list[tuple[str, int]]:
        addr = _address_key(address)
        return [(_key("n", name.strip().lower(), "a", addr), self.free_per_pair),
                (_key("a", addr), self.free_per_address)]

    async def wait(self, inst: Instance, name: str, address: str) -> float:
        """Seconds before this name may try again from this address (0: it may try now)."""
        now = inst.clock()
        keys = [k for k, _free in self._keys(name, address)]
        async with inst.engine.connect() as conn:
            until = [
                r.blocked_until
                for r in await conn.execute(
                    select(login_failures.c.blocked_until).where(login_failures.c.key.in_(keys))
                )
                if r.blocked_until is not None
            ]
        latest = max(until, default=now)
        return max(0.0, (latest - now).total_seconds())

    def _delay(self, failures: int, free: int) -> float:
        if failures < free:
            return 0.0
        return float(min(self.longest, self.base * 2 ** min(failures - free, 30)))

    async def failed(self, inst: Instance, name: str, address: str) -> None:
        now = inst.clock()
        async with inst.engine.begin() as conn:
            await conn.execute(delete(login_failures).where(login_failures.c.last_failure_at < now - self.forget_after))
            for key, free in self._keys(name, address):
                await self._count(conn, key, free, now)

    async def _count(self, conn: Any, key: str, free: int, now: datetime) -> None:
        insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert_(login_failures).values(key=key, failures=1, last_failure_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"], set_={"failures": login_failures.c.failures + 1, "last_failure_at": now}
        ).returning(login_failures.c.failures)
        failures = (await conn.execute(stmt)).scalar_one()  # atomic: two processes both count
        if failures >= free:
            until = now + timedelta(seconds=self._delay(failures, free))
            await conn.execute(update(login_failures).where(login_failures.c.key == key).values(blocked_until=until))

    async def succeeded(self, inst: Instance, name: str, address: str) -> None:
        """A correct password clears its (name, address) count; the address count stays."""
        async with inst.engine.begin() as conn:
            await conn.execute(delete(login_failures).where(login_failures.c.key == self._keys(name, address)[0][0]))


def limiter(request: Request) -> LoginLimiter:
    state = request.app.state
    if not hasattr(state, "login_limiter"):
        state.login_limiter = LoginLimiter()
    return state.login_limiter  # type: ignore[no-any-return]
