"""Browser sessions for organisers: a signed cookie, CSRF tokens, and a login rate limit.

The session is Starlette's ``SessionMiddleware`` (a cookie signed with ``settings.secret_key``
by itsdangerous): HttpOnly, SameSite=Lax, Secure when the instance URL is https, valid for 14
days. It holds the account id, a fingerprint of the password hash (so changing a password
ends every other session) and the CSRF token. Logging in starts a fresh session (new CSRF
token: no session fixation); logging out clears it.

Every form POST carries the session's CSRF token in a hidden ``csrf`` field; it is compared
with ``hmac.compare_digest``. The JSON API authenticates with bearer tokens and needs none.

Failed logins are limited in memory, per process: 5 failures per account name and 20 per
client address within 15 minutes; after that, logins for that name or from that address are
refused until the oldest failure is older than the window. A restart forgets the counts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import defaultdict, deque
from typing import Any

from sqlalchemy import select
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request

from actors.accounts import Account, load_account
from actors.instance import Instance
from actors.models import accounts
from actors.settings import Settings

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


def _fingerprint(settings: Settings, password_hash: str | None) -> str:
    key = settings.secret_key.encode()
    return hmac.new(key, (password_hash or "").encode(), hashlib.sha256).hexdigest()[:32]


async def current_account(request: Request) -> Account | None:
    """The logged-in account, or None (also when the account is gone or its password changed)."""
    account_id = request.session.get("account")
    if not isinstance(account_id, int):
        return None
    inst: Instance = request.app.state.instance
    async with inst.engine.connect() as conn:
        row = (await conn.execute(select(accounts.c.password_hash).where(accounts.c.id == account_id))).first()
        if row is None or not hmac.compare_digest(
            str(request.session.get("pw", "")), _fingerprint(inst.settings, row.password_hash)
        ):
            request.session.clear()
            return None
        return await load_account(inst, conn, account_id)


async def log_in(request: Request, account: Account) -> None:
    inst: Instance = request.app.state.instance
    async with inst.engine.connect() as conn:
        pw_hash = (await conn.execute(select(accounts.c.password_hash).where(accounts.c.id == account.id))).scalar_one()
    request.session.clear()
    request.session.update(
        {"account": account.id, "pw": _fingerprint(inst.settings, pw_hash), "csrf": secrets.token_urlsafe(32)}
    )


def log_out(request: Request) -> None:
    request.session.clear()


class LoginLimiter:
    """Failed logins per account name and per client address, in a sliding window."""

    def __init__(self, per_account: int = 5, per_address: int = 20, window: float = 15 * 60,
                 clock: Any = time.monotonic) -> None:
        self.per_account = per_account
        self.per_address = per_address
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        q = self._failures[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        if not q:
            self._failures.pop(key, None)
            return deque()
        return q

    def blocked(self, name: str, address: str) -> bool:
        return (
            len(self._recent(f"n:{name.strip().lower()}")) >= self.per_account
            or len(self._recent(f"a:{address}")) >= self.per_address
        )

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        self._failures[f"n:{name.strip().lower()}"].append(now)
        self._failures[f"a:{address}"].append(now)
        if len(self._failures) > 100_000:  # bound memory under a spray of names
            self._failures.clear()

    def succeeded(self, name: str) -> None:
        self._failures.pop(f"n:{name.strip().lower()}", None)


def limiter(request: Request) -> LoginLimiter:
    state = request.app.state
    if not hasattr(state, "login_limiter"):
        state.login_limiter = LoginLimiter()
    return state.login_limiter  # type: ignore[no-any-return]
