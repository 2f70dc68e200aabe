"""Organiser accounts: Argon2 passwords, roles per community, hashed API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from actors.instance import Instance
from actors.local import get_local_actor
from actors.models import Role, accounts, actors, memberships, tokens

__all__ = [
    "MIN_PASSWORD",
    "Account",
    "AccountError",
    "account_for_token",
    "add_membership",
    "authenticate",
    "create_account",
    "create_token",
    "load_account",
    "revoke_token",
]

MIN_PASSWORD = 10
NAME_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{1,62}$")
TOKEN_PREFIX = "yh_"
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class AccountError(Exception):
    """An account operation failed; the message is for the user."""


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    is_admin: bool
    roles: dict[str, Role]  # community slug → role

    def can_publish(self, slug: str) -> bool:
        return self.is_admin or slug in self.roles

    def can_manage(self, slug: str) -> bool:
        return self.is_admin or self.roles.get(slug) is Role.OWNER


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_account(
    inst: Instance, name: str, password: str | None, *, community: str | None = None,
    role: Role = Role.OWNER, is_admin: bool = False,
) -> int:
    name = name.strip().lower()
    if not NAME_RE.match(name):
        raise AccountError(f"invalid account name {name!r}: 2-63 lowercase letters, digits, '_', '.', '-'")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    pw_hash = _hasher.hash(password) if password is not None else None
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
        if row is None or row.password_hash is None:
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
    if not token.startswith(TOKEN_PREFIX):
        return None
    async with inst.engine.begin() as conn:
        row = (
            await conn.execute(
                select(tokens.c.id, tokens.c.account_id).where(
                    tokens.c.token_hash == _hash_token(token), tokens.c.revoked_at.is_(None)
                )
            )
        ).first()
        if row is None:
            return None
        await conn.execute(update(tokens).where(tokens.c.id == row.id).values(last_used_at=inst.clock()))
        return await _load(inst, conn, row.account_id)


async def revoke_token(inst: Instance, token: str) -> bool:
    async with inst.engine.begin() as conn:
        res = await conn.execute(
            update(tokens).where(tokens.c.token_hash == _hash_token(token)).values(revoked_at=inst.clock())
        )
        return bool(res.rowcount)
