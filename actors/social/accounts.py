"""Organiser accounts: Argon2 passwords, roles per community, hashed API tokens.

Roles: a community's *moderator* publishes, edits and deletes its content; its *owner* may also
manage its accounts; an instance *administrator* may do everything, on every community and on
the instance itself.

Cutting off access: tokens are revoked by id; disabling an account refuses its password and its
tokens; disabling, a password change and a logout bump ``accounts.session_version``, which every
browser session carries (web.sessions), so each of them ends every session of the account at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from actors.social.local import get_local_actor
from actors.storage.instance import Instance
from actors.storage.models import Role, accounts, actors, memberships, tokens

__all__ = [
    "MIN_PASSWORD",
    "TOKEN_TOUCH_EVERY",
    "Account",
    "AccountError",
    "TokenInfo",
    "account_for_token",
    "add_membership",
    "authenticate",
    "change_password",
    "create_account",
    "create_token",
    "end_sessions",
    "list_tokens",
    "load_account",
    "remove_membership",
    "revoke_token",
    "revoke_token_id",
    "set_disabled",
    "set_password",
]

MIN_PASSWORD = 10
NAME_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{1,62}$")
TOKEN_PREFIX = "yh_"
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A token's last_used_at is written at most this often: a request reads it, and writes (taking
# the database's write lock) only when the stored time is older.
TOKEN_TOUCH_EVERY = timedelta(seconds=60)


class AccountError(Exception):
    """An account operation failed; the message is for the user."""


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    is_admin: bool
    roles: dict[str, Role]  # community slug → role

    def can_publish(self, slug: str) -> bool:
        """Publish, edit, delete and moderate for the community (moderator, owner, administrator).
        (Followers and participants are decided with the CLI today, which runs as the operator.)"""
        return self.is_admin or slug in self.roles

    def can_manage(self, slug: str) -> bool:
        """Manage the community's accounts and settings (owner, administrator)."""
        return self.is_admin or self.roles.get(slug) is Role.OWNER


@dataclass(frozen=True)
class TokenInfo:
    id: int
    account: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_account(
    inst: Instance, name: str, password: str | None, *, community: str | None = None,
    role: Role = Role.OWNER, is_admin: bool = False,
) -> int:
    name = name.strip().lower()
    if not NAME_RE.match(name):
        raise AccountError(f"invalid account name {name!r}: 2-63 lowercase letters, digits, '_', '.', '-'")
    pw_hash = _check_password(password) if password is not None else None
    async with inst.engine.begin() as conn:
        try:
            res = await conn.execute(
                insert(accounts).values(name=name, password_hash=pw_hash, is_admin=is_admin, created_at=inst.clock())
            )
        except IntegrityError as exc:
            raise AccountError(f"account {name!r} already exists") from exc
        account_id = int(res.inserted_primary_key[0])
        if community is not None:
            await _add_membership(inst, conn, account_id, community, role)
    return account_id


async def _add_membership(inst: Instance, conn: Any, account_id: int, slug: str, role: Role) -> None:
    local = await get_local_actor(conn, slug)
    if local is None or local.type != "Group":
        raise AccountError(f"no community {slug!r} on this instance")
    existing = (
        await conn.execute(
            select(memberships.c.id).where(memberships.c.account_id == account_id, memberships.c.actor_id == local.id)
        )
    ).first()
    if existing:
        await conn.execute(update(memberships).where(memberships.c.id == existing.id).values(role=role.value))
    else:
        await conn.execute(
            insert(memberships).values(account_id=account_id, actor_id=local.id, role=role.value, created_at=inst.clock())
        )


async def add_membership(inst: Instance, name: str, slug: str, role: Role) -> None:
    async with inst.engine.begin() as conn:
        row = (await conn.execute(select(accounts.c.id).where(accounts.c.name == name.lower()))).first()
        if row is None:
            raise AccountError(f"no account {name!r}")
        await _add_membership(inst, conn, row.id, slug, role)


async def load_account(inst: Instance, conn: Any, account_id: int) -> Account:
    """An account with its roles, read on the given connection."""
    return await _load(inst, conn, account_id)


async def _load(inst: Instance, conn: Any, account_id: int) -> Account:
    row = (await conn.execute(select(accounts).where(accounts.c.id == account_id))).one()
    roles = {
        r.username: Role(r.role)
        for r in await conn.execute(
            select(actors.c.username, memberships.c.role)
            .select_from(memberships.join(actors, actors.c.id == memberships.c.actor_id))
            .where(memberships.c.account_id == account_id)
        )
    }
    return Account(row.id, row.name, row.is_admin, roles)


async def authenticate(inst: Instance, name: str, password: str) -> Account | None:
    """The account for a name and password, or None. Rehashes when parameters changed."""
    async with inst.engine.begin() as conn:
        row = (await conn.execute(select(accounts).where(accounts.c.name == name.strip().lower()))).first()
        if row is None or row.password_hash is None or row.disabled_at is not None:
            _hasher.hash("timing-equaliser")  # answer an unknown name as slowly as a wrong password
            return None
        try:
            _hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        values: dict[str, Any] = {"last_login_at": inst.clock()}
        if _hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = _hasher.hash(password)
        await conn.execute(update(accounts).where(accounts.c.id == row.id).values(**values))
        return await _load(inst, conn, row.id)


async def create_token(inst: Instance, name: str, label: str = "") -> str:
    """A new API token for an account. Only its SHA-256 is stored: this is the one time it is shown."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with inst.engine.begin() as conn:
        row = (await conn.execute(select(accounts.c.id).where(accounts.c.name == name.strip().lower()))).first()
        if row is None:
            raise AccountError(f"no account {name!r}")
        await conn.execute(
            insert(tokens).values(account_id=row.id, token_hash=_hash_token(token), name=label, created_at=inst.clock())
        )
    return token


async def account_for_token(inst: Instance, token: str) -> Account | None:
    """The account behind an API token; None when unknown, revoked, or the account is disabled.

    Reads only, except at most once per TOKEN_TOUCH_EVERY per token, when it records the use."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    async with inst.engine.connect() as conn:
        row = (
            await conn.execute(
                select(tokens.c.id, tokens.c.account_id, tokens.c.last_used_at)
                .select_from(tokens.join(accounts, accounts.c.id == tokens.c.account_id))
                .where(tokens.c.token_hash == _hash_token(token), tokens.c.revoked_at.is_(None),
                       accounts.c.disabled_at.is_(None))
            )
        ).first()
        if row is None:
            return None
        account = await _load(inst, conn, row.account_id)
    now = inst.clock()
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_EVERY:
        async with inst.engine.begin() as conn:
            await conn.execute(update(tokens).where(tokens.c.id == row.id).values(last_used_at=now))
    return account


async def revoke_token(inst: Instance, token: str) -> bool:
    async with inst.engine.begin() as conn:
        res = await conn.execute(
            update(tokens).where(tokens.c.token_hash == _hash_token(token), tokens.c.revoked_at.is_(None))
            .values(revoked_at=inst.clock())
        )
        return bool(res.rowcount)


async def revoke_token_id(inst: Instance, token_id: int) -> TokenInfo:
    """Revoke a token by the id `yinhu token list` shows; the next request with it answers 401."""
    async with inst.engine.begin() as conn:
        await conn.execute(
            update(tokens).where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None)).values(revoked_at=inst.clock())
        )
    found = await list_tokens(inst, token_id=token_id)
    if not found:
        raise AccountError(f"no token with id {token_id} (see `yinhu token list`)")
    return found[0]


async def list_tokens(inst: Instance, name: str | None = None, *, token_id: int | None = None) -> list[TokenInfo]:
    """Tokens (never their secret), newest first; of one account when a name is given."""
    query = (
        select(tokens, accounts.c.name.label("account"))
        .select_from(tokens.join(accounts, accounts.c.id == tokens.c.account_id))
        .order_by(tokens.c.id.desc())
    )
    if token_id is not None:
        query = query.where(tokens.c.id == token_id)
    async with inst.engine.connect() as conn:
        if name is not None:
            await _account_id(conn, name)
            query = query.where(accounts.c.name == name.strip().lower())
        rows = list(await conn.execute(query))
    return [TokenInfo(r.id, r.account, r.name, r.created_at, r.last_used_at, r.revoked_at) for r in rows]


async def _account_id(conn: Any, name: str) -> int:
    row = (await conn.execute(select(accounts.c.id).where(accounts.c.name == name.strip().lower()))).first()
    if row is None:
        raise AccountError(f"no account {name!r}")
    return int(row.id)


async def end_sessions(inst: Instance, account_id: int, conn: Any | None = None) -> None:
    """End every browser session of the account (they carry the version this bumps)."""
    stmt = update(accounts).where(accounts.c.id == account_id).values(session_version=accounts.c.session_version + 1)
    if conn is not None:
        await conn.execute(stmt)
        return
    async with inst.engine.begin() as own:
        await own.execute(stmt)


async def set_disabled(inst: Instance, name: str, disabled: bool) -> bool:
    """Disable (no login, no token, every session ended) or enable an account. True if it changed."""
    async with inst.engine.begin() as conn:
        account_id = await _account_id(conn, name)
        res = await conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id,
                   accounts.c.disabled_at.is_(None) if disabled else accounts.c.disabled_at.is_not(None))
            .values(disabled_at=inst.clock() if disabled else None)
        )
        await end_sessions(inst, account_id, conn)
        return bool(res.rowcount)


async def set_password(inst: Instance, name: str, password: str) -> None:
    """Set a new password and end every session of the account (API tokens stay valid)."""
    pw_hash = _check_password(password)
    async with inst.engine.begin() as conn:
        account_id = await _account_id(conn, name)
        await conn.execute(update(accounts).where(accounts.c.id == account_id).values(password_hash=pw_hash))
        await end_sessions(inst, account_id, conn)


async def change_password(inst: Instance, account_id: int, current: str, new: str) -> None:
    """The dashboard's password change: the current password must match."""
    async with inst.engine.connect() as conn:
        row = (await conn.execute(select(accounts.c.name, accounts.c.password_hash)
                                  .where(accounts.c.id == account_id))).first()
    if row is None:
        raise AccountError("no such account")
    try:
        _hasher.verify(row.password_hash or "", current)
    except (VerifyMismatchError, VerificationError, InvalidHashError) as exc:
        raise AccountError("current password") from exc
    await set_password(inst, row.name, new)


async def remove_membership(inst: Instance, name: str, slug: str) -> None:
    """Take an account's role in a community away."""
    async with inst.engine.begin() as conn:
        account_id = await _account_id(conn, name)
        local = await get_local_actor(conn, slug)
        if local is None or local.type != "Group":
            raise AccountError(f"no community {slug!r} on this instance")
        res = await conn.execute(
            delete(memberships).where(memberships.c.account_id == account_id, memberships.c.actor_id == local.id)
        )
        if not res.rowcount:
            raise AccountError(f"{name.strip().lower()} has no role in {slug}")
