"""``yinhu publish``, ``update``, ``delete``: a community's events, listings, venues and notes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from actors.social.local import CommunityError
from actors.storage.instance import Instance
from web.cli.common import CliError, _with_instance, with_instance


def _read_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


def _file_refs(body: Any, base: Path) -> list[tuple[dict[str, Any], Path]]:
    """Image entries written as {"file": "cover.jpg", "alt": ...} (paths relative to the JSON file)."""
    if not isinstance(body, dict):
        return []
    entries = [body.get("image")] if isinstance(body.get("image"), dict) else []
    entries += [i for i in body.get("images", []) if isinstance(i, dict)] if isinstance(body.get("images"), list) else []
    refs = []
    for entry in entries:
        if isinstance(entry.get("file"), str):
            path = Path(entry["file"]) if Path(entry["file"]).is_absolute() else base / entry["file"]
            if not path.is_file():
                raise CliError(f"image file {entry['file']} not found (paths are relative to the JSON file)")
            refs.append((entry, path))
    return refs


async def _attach_files(inst: Instance, slug: str, body: Any, base: Path) -> None:
    """Validate first with placeholders, then store the images: invalid content stores nothing."""
    from actors.publishing.media import MediaError, store_image
    from actors.publishing.validation import validate
    from actors.social.local import get_local_actor

    refs = _file_refs(body, base)
    if not refs:
        return
    for entry, _path in refs:
        entry["media"] = "pending-upload"
        entry.pop("file")
    validate(body, inst.clock())
    async with inst.engine.connect() as conn:
        actor = await get_local_actor(conn, slug)
    if actor is None:
        raise CommunityError(f"no community {slug!r} on this instance")
    for entry, path in refs:
        try:
            stored = await store_image(inst, actor.id, path.read_bytes(), str(entry.get("alt", "")))
        except MediaError as exc:
            raise CliError(f"{path}: {exc}") from exc
        entry["media"] = stored.token


async def cmd_publish(args: argparse.Namespace) -> int:
    from actors.publishing.publishing import publish

    body = _read_json(args.file)

    async def run(inst: Instance) -> int:
        await _attach_files(inst, args.slug, body, Path(args.file).parent)
        result = await publish(inst, args.slug, body)
        print(f"published {result.kind}; queued for {result.recipients} inbox(es)")
        print(result.uri)
        return 0

    return await _with_instance(args, run)


async def _owner_of(inst: Instance, uri: str) -> str:
    from sqlalchemy import select

    from actors.storage.models import actors, objects

    async with inst.engine.connect() as conn:
        row = (
            await conn.execute(
                select(actors.c.username)
                .select_from(objects.join(actors, actors.c.id == objects.c.actor_id))
                .where(objects.c.uri == uri, objects.c.local.is_(True))
            )
        ).first()
    if row is None:
        raise CliError(f"no object published from this instance at {uri}")
    return str(row.username)


async def cmd_update(args: argparse.Namespace) -> int:
    from actors.publishing.publishing import update_object

    body = _read_json(args.file)

    async def run(inst: Instance) -> int:
        slug = await _owner_of(inst, args.url)
        await _attach_files(inst, slug, body, Path(args.file).parent)
        result = await update_object(inst, args.url, body)
        print(f"updated {result.kind}; queued for {result.recipients} inbox(es)")
        print(result.uri)
        return 0

    return await _with_instance(args, run)


@with_instance
async def cmd_delete(args: argparse.Namespace, inst: Instance) -> int:
    from actors.publishing.publishing import delete_object

    result = await delete_object(inst, args.url)
    print(f"deleted; queued for {result.recipients} inbox(es)")
    print(result.uri)
    return 0


@with_instance
async def cmd_pin(args: argparse.Namespace, inst: Instance) -> int:
    from actors.publishing.publishing import pin_notice

    slug = await pin_notice(inst, args.url, pinned=not args.off)
    print(f"{'unpinned' if args.off else 'pinned'}: {args.url} ({slug})")
    return 0


def add_content_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("publish", parents=[common], help="publish content from a community (JSON file or - for stdin)")
    s.add_argument("slug")
    s.add_argument("file", metavar="FILE.json")
    s.set_defaults(run=cmd_publish)

    s = sub.add_parser("update", parents=[common], help="replace a published object's content (sends Update)")
    s.add_argument("url", help="the URL `yinhu publish` printed")
    s.add_argument("file", metavar="FILE.json")
    s.set_defaults(run=cmd_update)


def add_delete_command(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("delete", parents=[common], help="delete a published object by its URL")
    s.add_argument("url")
    s.set_defaults(run=cmd_delete)

    s = sub.add_parser("pin", parents=[common], help="pin a notice to the top of its community's notices")
    s.add_argument("url", help="the notice's URL (`yinhu publish` printed it)")
    s.add_argument("--off", action="store_true", help="unpin it")
    s.set_defaults(run=cmd_pin)
