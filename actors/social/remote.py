"""Remote actors: fetch, store, refresh, and the public-key lookup the inbox verifier uses."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.storage.db import joined
from actors.storage.domains import refuse_suspended
from actors.storage.instance import Instance, utcnow
from actors.storage.models import actors
from fedi import vocab
from fedi.errors import FediError, FetchError
from fedi.fetch import fetch_json
from fedi.signatures import PublicKeyInfo
from fedi.webfinger import resolve_handle

__all__ = ["ActorError", "KeyLookup", "fetch_actor", "fetch_remote", "get_actor", "resolve", "store_actor"]

log = logging.getLogger("yinhu.remote")

# Fetches made while handling the inbox (and verifying signatures): a dead peer costs one
# worker slot this long, not the default 10 s per hop, and then, through the instance's
# breaker, nothing more until its cool-down has run out (``fedi.breaker``).
FETCH_TIMEOUT = 5.0

# Keys cached in memory for this long; a failing verification refetches sooner (rotation).
KEY_TTL = 3600.0
# At most one forced refetch per key in this window, so a peer sending garbage cannot make us
# hammer its server (Mastodon keeps a similar per-source circuit breaker).
REFRESH_MIN_INTERVAL = 30.0


class ActorError(FediError):
    """A remote actor could not be had or is not a valid actor; the message says why."""


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


def actor_values_from_ap(doc: dict[str, Any], uri: str) -> dict[str, Any]:
    """Database columns for a remote actor document (already checked to be an actor)."""
    key = next(
        (k for k in vocab.as_list(doc.get("publicKey")) if isinstance(k, dict) and k.get("publicKeyPem")),
        None,
    )
    endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
    username = doc.get("preferredUsername")
    return {
        "type": doc.get("type"),
        "username": username if isinstance(username, str) and username else uri,
        "domain": _host(uri),
        "name": doc.get("name") if isinstance(doc.get("name"), str) else "",
        "summary": doc.get("summary") if isinstance(doc.get("summary"), str) else "",
        "inbox": vocab.get_id(doc.get("inbox")),
        "shared_inbox": vocab.get_id(endpoints.get("sharedInbox")) if endpoints else None,
        "outbox": vocab.get_id(doc.get("outbox")),
        "followers_url": vocab.get_id(doc.get("followers")),
        "key_id": key.get("id") if key else None,
        "public_key_pem": key.get("publicKeyPem") if key else None,
        "manually_approves": bool(doc.get("manuallyApprovesFollowers")),
        "raw": orjson.dumps(doc).decode(),
    }


def check_actor_doc(doc: dict[str, Any], uri: str) -> None:
    if doc.get("type") not in vocab.ACTOR_TYPES:
        raise ActorError(f"{uri} is a {doc.get('type')!r}, not an actor")
    if doc.get("id") != uri:
        raise ActorError(f"{uri} names itself {doc.get('id')!r}")
    inbox = vocab.get_id(doc.get("inbox"))
    if not inbox or _host(inbox) == "":
        raise ActorError(f"{uri} has no inbox")


async def store_actor(inst: Instance, doc: dict[str, Any]) -> Row[Any]:
    """Insert or refresh a remote actor row from a document fetched from its own origin."""
    uri = doc["id"]
    values = actor_values_from_ap(doc, uri)
    now = utcnow()
    async with inst.engine.begin() as conn:
        existing = (await conn.execute(select(actors.c.id).where(actors.c.uri == uri))).first()
        if existing:
            await conn.execute(
                update(actors)
                .where(actors.c.id == existing.id)
                .values(**values, fetched_at=now, updated_at=now, deleted_at=None)
            )
        else:
            # Another actor with the same username@domain (renamed/recreated remotely) would
            # collide on the unique pair; the uri is authoritative, so free the old pair.
            await conn.execute(
                update(actors)
                .where(actors.c.username == values["username"], actors.c.domain == values["domain"], actors.c.local.is_(False))
                .values(username=actors.c.uri)
            )
            try:
                async with conn.begin_nested():
                    await conn.execute(
                        actors.insert().values(uri=uri, local=False, created_at=now, fetched_at=now, updated_at=now, **values)
                    )
            except IntegrityError:
                # Another request stored this actor a moment ago: refresh that row instead.
                await conn.execute(
                    update(actors).where(actors.c.uri == uri).values(**values, fetched_at=now, updated_at=now)
                )
        row = (await conn.execute(select(actors).where(actors.c.uri == uri))).one()
    if row.key_id and row.public_key_pem:
        inst.cache[f"key:{row.key_id}"] = (PublicKeyInfo(row.key_id, uri, row.public_key_pem), time.monotonic() + KEY_TTL)
    return row


async def fetch_remote(inst: Instance, url: str, *, check_id: bool = True) -> dict[str, Any]:
    """GET a remote document as this instance: signed, SSRF-checked, ``FETCH_TIMEOUT``, and
    through the instance's breaker (a host that just failed raises ``HostCoolingDown`` at once).
    A suspended domain raises ``DomainSuspended`` before anything is sent."""
    await refuse_suspended(inst, url)
    return await fetch_json(
        inst.client, url, auth=inst.fetch_auth, allow_private=inst.settings.allow_private, resolver=inst.resolver,
        check_id=check_id, timeout=FETCH_TIMEOUT, breaker=inst.breaker,
    )


async def fetch_actor(inst: Instance, uri: str) -> Row[Any]:
    if inst.is_local_uri(uri):
        raise ActorError(f"{uri} is on this instance")
    try:
        doc = await fetch_remote(inst, uri)  # a suspended domain: DomainSuspended, before any request
    except FetchError as exc:
        raise ActorError(f"could not fetch {uri}: {exc}") from exc
    check_actor_doc(doc, uri)
    return await store_actor(inst, doc)


async def get_actor(
    inst: Instance, uri: str, *, max_age: float | None = 86400.0, conn: AsyncConnection | None = None
) -> Row[Any]:
    """An actor row, local or remote; remote ones are fetched when unknown or older than max_age.

    ``conn``: read the stored row in the caller's transaction (which must not have written
    yet: a fetch stores the actor on a connection of its own)."""
    query = select(actors).where(actors.c.uri == uri)
    async with joined(inst.engine, conn) as c:
        row = (await c.execute(query)).first()
    if row is not None and (row.local or max_age is None or row.fetched_at is None):
        return row
    if row is not None and row.fetched_at is not None:
        age = (utcnow() - row.fetched_at).total_seconds()
        if age < (max_age or 0):
            return row
        if max_age:
            # Stale, not asked for fresh: use it now and refresh it beside the caller, so a
            # dead or slow peer costs the inbox worker's slot nothing.
            _refresh_later(inst, uri)
            return row
        try:
            return await fetch_actor(inst, uri)
        except ActorError:
            return row  # a stale copy beats none while the peer is down
    if inst.is_local_uri(uri):
        raise ActorError(f"no local actor {uri}")
    return await fetch_actor(inst, uri)


def _refresh_later(inst: Instance, uri: str) -> None:
    """Refetch a stale actor in the background: one refresh per host at a time (the others
    wait for the actor's next activity), none while the host's breaker is open."""
    host = _host(uri)
    key = f"refreshing:{host}"
    if key in inst.cache or inst.breaker.remaining(host):
        return

    async def refresh() -> None:
        try:
            await fetch_actor(inst, uri)
        except (FediError, ValueError, SQLAlchemyError) as exc:  # the stored copy stays (ValueError: suspended)
            log.info("refreshing %s failed: %s", uri, exc)
        finally:
            inst.cache.pop(key, None)

    inst.cache[key] = True
    inst.spawn(refresh(), name=f"refresh {uri}")


async def resolve(inst: Instance, handle_or_url: str) -> Row[Any]:
    """``@name@host``, ``name@host`` or an actor URL → a stored actor row."""
    target = handle_or_url.strip()
    if target.startswith(("http://", "https://")):
        return await get_actor(inst, target, max_age=0)
    scheme = "http" if inst.settings.dev else "https"
    await refuse_suspended(inst, "//" + target.rsplit("@", 1)[-1])  # not even WebFinger
    try:
        uri = await resolve_handle(
            inst.client, target, scheme=scheme, allow_private=inst.settings.allow_private, resolver=inst.resolver
        )
    except (FediError, ValueError) as exc:
        raise ActorError(f"could not resolve {target}: {exc}") from exc
    if inst.is_local_uri(uri):
        return await get_actor(inst, uri)
    return await get_actor(inst, uri, max_age=0)


class KeyLookup:
    """The verifier's key source: memory, then database, then the network (signed GET).

    Keys of our own actors never cause a fetch. A key id is the actor URL plus ``#main-key``
    (Mastodon, us) or a separate URL (GoToSocial's ``/main-key``); either way the key only
    counts when the owner's own actor document lists it.
    """

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self._last_refresh: dict[str, float] = {}
        # One fetch per key at a time: a peer's first burst of deliveries must not fetch (and
        # insert) the same actor concurrently; the others wait and read what the first stored.
        self._inflight: dict[str, asyncio.Future[PublicKeyInfo | None]] = {}

    async def __call__(self, key_id: str, refresh: bool) -> PublicKeyInfo | None:
        cache_key = f"key:{key_id}"
        now = time.monotonic()
        if not refresh:
            hit = self.inst.cache.get(cache_key)
            if hit is not None and hit[1] > now:
                return hit[0]  # type: ignore[no-any-return]
            info = await self._from_db(key_id)
            if info is not None:
                self.inst.cache[cache_key] = (info, now + KEY_TTL)
                return info
        else:
            # Only forced refetches are throttled: the first fetch of an unknown key must not
            # block the refetch a rotation needs moments later.
            if now - self._last_refresh.get(key_id, -1e9) < REFRESH_MIN_INTERVAL:
                return None
            self._last_refresh[key_id] = now
        if self.inst.is_local_uri(key_id):
            return None
        pending = self._inflight.get(key_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[PublicKeyInfo | None] = asyncio.get_running_loop().create_future()
        self._inflight[key_id] = future
        info = None
        try:
            info = await self._fetch(key_id)
        except (FediError, ValueError, SQLAlchemyError):
            info = None
        finally:
            self._inflight.pop(key_id, None)
            if not future.done():  # also when cancelled: waiters must never hang
                future.set_result(info)
        return info

    async def _from_db(self, key_id: str) -> PublicKeyInfo | None:
        async with self.inst.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(actors.c.uri, actors.c.public_key_pem).where(
                        actors.c.key_id == key_id, actors.c.deleted_at.is_(None)
                    )
                )
            ).first()
        if row is None or not row.public_key_pem:
            return None
        return PublicKeyInfo(key_id, row.uri, row.public_key_pem)

    async def _fetch(self, key_id: str) -> PublicKeyInfo | None:
        url = key_id.split("#", 1)[0]
        doc = await fetch_remote(self.inst, url, check_id=False)
        if doc.get("type") in vocab.ACTOR_TYPES and doc.get("id") == url:
            row = await store_actor(self.inst, doc)
        else:
            # A key document, or GoToSocial's stub actor at /main-key: trust it only through
            # its owner's full actor document, fetched from the owner's own URL.
            key_doc = doc.get("publicKey") if isinstance(doc.get("publicKey"), dict) else doc
            owner = vocab.get_id(key_doc.get("owner")) or vocab.get_id(doc.get("owner"))
            if not owner or owner == url:
                return None
            row = await fetch_actor(self.inst, owner)
        if row.key_id == key_id and row.public_key_pem:
            return PublicKeyInfo(key_id, row.uri, row.public_key_pem)
        # An actor may list several keys (Mastodon reads up to ten); the row keeps the first,
        # so look for the one this request names in the owner's own document.
        pem = _listed_key(row, key_id)
        if pem is None:
            return None
        info = PublicKeyInfo(key_id, row.uri, pem)
        self.inst.cache[f"key:{key_id}"] = (info, time.monotonic() + KEY_TTL)
        return info


def _listed_key(row: Row[Any], key_id: str) -> str | None:
    """The PEM of ``key_id`` when the actor's stored document lists it as its own key."""
    try:
        doc = orjson.loads(row.raw or "{}")
    except orjson.JSONDecodeError:
        return None
    for key in vocab.as_list(doc.get("publicKey"))[:10]:
        if (
            isinstance(key, dict)
            and key.get("id") == key_id
            and vocab.get_id(key.get("owner")) == row.uri
            and isinstance(key.get("publicKeyPem"), str)
        ):
            return key["publicKeyPem"]  # type: ignore[no-any-return]
    return None
