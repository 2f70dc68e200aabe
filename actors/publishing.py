"""Publishing: one code path for the web form, the JSON API and the CLI.

A body (``{"type": "note", "content": "...markdown...", "language": "zh"}``) is validated,
stored as an object, wrapped in a ``Create`` addressed ``to`` Public and ``cc`` the followers,
and queued for every follower's inbox (shared inboxes first, each once), all in one
transaction: either everything is recorded or nothing is.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row

from actors.delivery import follower_inboxes
from actors.instance import Instance, new_token
from actors.local import CommunityError, get_local_actor
from actors.models import actors, objects
from actors.sending import emit, new_activity
from actors.text import HASHTAG_RE, extract_hashtags, render_markdown
from fedi import vocab

__all__ = ["ContentError", "Published", "publish", "delete_object", "LANGUAGES", "MAX_CONTENT"]

LANGUAGES = ("zh", "zh-CN", "zh-TW", "en", "ja", "ko", "fr", "de", "es")
MAX_CONTENT = 20_000  # characters of Markdown; Mastodon peers cap remote text far above this


class ContentError(Exception):
    """The body is not valid content; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class Published:
    uri: str
    activity_uri: str
    recipients: int


def _tag_html(base: str, tag: str) -> str:
    href = f"{base}/tags/{html.escape(tag)}"
    return f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{html.escape(tag)}</span></a>'


_SKIP_RE = re.compile(r"(<a\b.*?</a>|<code\b.*?</code>|<pre\b.*?</pre>|<[^>]+>)", re.S)


def linkify_hashtags(base: str, content_html: str) -> str:
    """Turn ``#tag`` in text (not inside links, code or tags) into Mastodon-style hashtag links."""
    parts = _SKIP_RE.split(content_html)
    for i in range(0, len(parts), 2):
        parts[i] = HASHTAG_RE.sub(lambda m: _tag_html(base, m.group(1)), parts[i])
    return "".join(parts)


def validate_note(body: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        errors["content"] = "required: the text of the note (Markdown)"
    elif len(content) > MAX_CONTENT:
        errors["content"] = f"too long: {len(content)} characters, at most {MAX_CONTENT}"
    language = body.get("language", "zh")
    if not isinstance(language, str) or language not in LANGUAGES:
        errors["language"] = f"one of {', '.join(LANGUAGES)}"
    unknown = set(body) - {"type", "content", "language"}
    if unknown:
        errors[sorted(unknown)[0]] = "unknown field for a note"
    if errors:
        raise ContentError(errors)
    return {"content": content.strip(), "language": language}  # type: ignore[union-attr]


VALIDATORS = {"note": validate_note}


async def publish(inst: Instance, slug: str, body: Any) -> Published:
    if not isinstance(body, dict):
        raise ContentError({"body": "must be a JSON object"})
    kind = body.get("type")
    validator = VALIDATORS.get(kind) if isinstance(kind, str) else None
    if validator is None:
        raise ContentError({"type": f"unknown type {kind!r}; supported: {', '.join(VALIDATORS)}"})
    data = validator(body)
    now = inst.clock()
    token = new_token()
    uri = inst.object_uri(token)
    tags = extract_hashtags(data["content"])
    content_html = linkify_hashtags(inst.base, render_markdown(data["content"]))
    async with inst.engine.begin() as conn:
        community = await get_local_actor(conn, slug)
        if community is None or community.type != "Group":
            raise CommunityError(f"no community {slug!r} on this instance")
        followers_url = f"{community.uri}/followers"
        obj = vocab.note(
            object_id=uri,
            actor_id=community.uri,
            content_html=content_html,
            language=data["language"],
            url=uri,
            published=now,
            to=[vocab.PUBLIC],
            cc=[followers_url],
            tags=[{"type": "Hashtag", "name": f"#{t}", "href": f"{inst.base}/tags/{t}"} for t in tags],
        )
        await conn.execute(
            insert(objects).values(
                uri=uri,
                actor_id=community.id,
                local=True,
                type="Note",
                source=data["content"],
                content=content_html,
                language=data["language"],
                raw=orjson.dumps(obj).decode(),
                published=now,
            )
        )
        create = new_activity(inst, "Create", community, obj, to=[vocab.PUBLIC], cc=[followers_url], published=now)
        inboxes = await follower_inboxes(conn, community.id)
        await emit(inst, conn, community, create, inboxes, public=True)
    return Published(uri, create["id"], len(inboxes))


async def delete_object(inst: Instance, uri: str) -> Published:
    """Delete a local object: tombstone it (its URL answers 410) and tell the followers."""
    now = inst.clock()
    async with inst.engine.begin() as conn:
        row: Row[Any] | None = (
            await conn.execute(select(objects).where(objects.c.uri == uri, objects.c.local.is_(True)))
        ).first()
        if row is None or row.deleted_at is not None:
            raise ContentError({"url": f"no published object at {uri}"})
        owner = (await conn.execute(select(actors).where(actors.c.id == row.actor_id))).one()
        await conn.execute(update(objects).where(objects.c.id == row.id).values(deleted_at=now))
        followers_url = f"{owner.uri}/followers"
        doc = new_activity(
            inst, "Delete", owner, {"id": uri, "type": "Tombstone"}, to=[vocab.PUBLIC], cc=[followers_url]
        )
        inboxes = await follower_inboxes(conn, owner.id)
        await emit(inst, conn, owner, doc, inboxes, public=False)
    return Published(uri, doc["id"], len(inboxes))
