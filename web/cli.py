"""The ``yinhu`` command line.

Every command takes ``--data DIR`` (default ``./yinhu-data`` or ``$YINHU_DATA``), prints what
it did, and on bad input exits non-zero with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy.exc import SQLAlchemyError

from actors.publishing.publishing import ContentError
from actors.social.follows import FollowError
from actors.social.local import COMMUNITY_KINDS, CommunityError
from actors.social.remote import ActorError
from actors.storage.instance import Instance, NotInitialised
from actors.storage.settings import (
    ConfigError,
    Settings,
    default_data_dir,
    load_settings,
    write_settings,
)
from fedi.errors import FediError

__all__ = ["build_parser", "main"]

USER_ERRORS = (ConfigError, CommunityError, ContentError, FollowError, ActorError, FediError, NotInitialised, ValueError)


class CliError(Exception):
    """A one-line reason for the user; exit status 1 (2 is argparse's usage error)."""


def fail(message: str, code: int = 1) -> NoReturn:
    print(f"yinhu: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def _data(args: argparse.Namespace) -> Path:
    return Path(args.data) if args.data else default_data_dir()


async def _with_instance(args: argparse.Namespace, fn: Callable[[Instance], Awaitable[int]]) -> int:
    settings = load_settings(_data(args))
    inst = await Instance.open(settings)
    try:
        return await fn(inst)
    finally:
        await inst.close()


# --- commands ---------------------------------------------------------------------------------
async def cmd_init(args: argparse.Namespace) -> int:
    from actors.social.local import initialise

    data = _data(args)
    if (data / "yinhu.toml").exists():
        raise CliError(f"{data} already holds a Yinhu instance (yinhu.toml exists); refusing to overwrite it")
    settings = Settings(url=args.url, data_dir=data, database_url=args.db or "", dev=args.dev)
    created_dir = not data.exists()
    data.mkdir(parents=True, exist_ok=True)
    sqlite_file = Path(settings.database_url.split("///", 1)[1]) if settings.database_url.startswith("sqlite") else None
    fresh_sqlite = sqlite_file is not None and not sqlite_file.exists()
    try:
        inst = await Instance.open(settings, check_schema=False)
        try:
            await initialise(inst)
        finally:
            await inst.close()
    except BaseException:
        # Leave nothing half-made behind: a later `yinhu init` must be able to start over.
        if fresh_sqlite and sqlite_file is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        if created_dir and not any(data.iterdir()):
            data.rmdir()
        raise
    (data / "media").mkdir(exist_ok=True)
    path = write_settings(settings)
    print(f"Initialised Yinhu at {settings.url}")
    print(f"  config:   {path}")
    print(f"  database: {settings.database_url.split('@')[-1]}")
    print(f"  feed actor: @yinhu@{settings.host}")
    print(f"Next: yinhu community create SLUG --name NAME --data {data}; then yinhu serve --data {data}")
    return 0


async def cmd_migrate(args: argparse.Namespace) -> int:
    from actors.storage import migrate

    settings = load_settings(_data(args))
    inst = await Instance.open(settings, check_schema=False)
    try:
        before = await migrate.current_revision(inst.engine)
        await migrate.upgrade(inst.engine)
        print(f"schema {before or 'empty'} → {migrate.head_revision()}")
        if before is not None and before < "0003":
            # The search index arrived in 0003: fill it for what the database already holds.
            from actors.feed.search import reindex_all

            print(f"indexed {await reindex_all(inst)} objects for search")
    finally:
        await inst.close()
    return 0


async def cmd_community(args: argparse.Namespace) -> int:
    from actors.social.local import create_community, list_communities

    async def run(inst: Instance) -> int:
        if args.community_cmd == "create":
            uri = await create_community(
                inst, args.slug, name=args.name, summary=args.summary or "", kind=args.kind,
                manually_approves=args.manual_approval,
            )
            print(f"created @{args.slug.lower()}@{inst.settings.host}")
            print(uri)
            return 0
        rows = await list_communities(inst)
        if not rows:
            print("no communities yet (yinhu community create SLUG --name NAME)")
        for r in rows:
            approval = " (approves followers by hand)" if r.manually_approves else ""
            print(f"@{r.username}@{inst.settings.host}\t{r.kind}\t{r.follower_count} followers\t{r.name}{approval}")
        return 0

    return await _with_instance(args, run)


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


def _read_password(args: argparse.Namespace) -> str | None:
    import getpass

    if args.no_password:
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for a password: use --password-stdin (or --no-password for API tokens only)")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise CliError("the two passwords differ")
    return first


async def cmd_account(args: argparse.Namespace) -> int:
    from actors.social.accounts import (
        AccountError,
        add_membership,
        create_account,
        remove_membership,
        set_disabled,
        set_password,
    )
    from actors.storage.models import Role

    async def run(inst: Instance) -> int:
        name = args.name.strip().lower()
        try:
            if args.account_cmd == "create":
                password = _read_password(args)
                await create_account(inst, args.name, password, community=args.community, role=Role(args.role), is_admin=args.admin)
                where = f" ({args.role} of {args.community})" if args.community else ""
                print(f"created account {name}{where}")
            elif args.account_cmd == "grant":
                await add_membership(inst, args.name, args.community, Role(args.role))
                print(f"{name} is now {args.role} of {args.community}")
            elif args.account_cmd == "revoke":
                await remove_membership(inst, args.name, args.community)
                print(f"{name} no longer has a role in {args.community}")
            elif args.account_cmd in ("disable", "enable"):
                changed = await set_disabled(inst, args.name, args.account_cmd == "disable")
                state = "disabled" if args.account_cmd == "disable" else "enabled"
                if args.account_cmd == "disable":
                    print(f"{name} {'is now' if changed else 'was already'} disabled: no login, no API token, every session ended")
                else:
                    print(f"{name} {'is now' if changed else 'was already'} {state}")
            else:  # password
                args.no_password = False
                password = _read_password(args)
                if password is None:
                    raise CliError("no password given")
                await set_password(inst, args.name, password)
                print(f"password of {name} changed; every session of it has ended (API tokens stay valid)")
        except AccountError as exc:
            raise CliError(str(exc)) from exc
        return 0

    return await _with_instance(args, run)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


async def cmd_token(args: argparse.Namespace) -> int:
    from actors.social.accounts import AccountError, create_token, list_tokens, revoke_token_id

    async def run(inst: Instance) -> int:
        try:
            if args.token_cmd == "list":
                rows = [
                    (str(t.id), t.account, t.label or "-", _when(t.created_at), _when(t.last_used_at),
                     "revoked " + _when(t.revoked_at) if t.revoked_at else "active")
                    for t in await list_tokens(inst, args.account)
                ]
                if not rows:
                    print("no tokens", file=sys.stderr)
                for line in _table(("ID", "ACCOUNT", "LABEL", "CREATED", "LAST USED", "STATE"), rows) if rows else []:
                    print(line)
                return 0
            if args.token_cmd == "revoke":
                t = await revoke_token_id(inst, args.id)
                print(f"token {t.id} of {t.account} revoked at {_when(t.revoked_at)}; requests with it now answer 401")
                return 0
            token = await create_token(inst, args.account, args.label or "")
        except AccountError as exc:
            raise CliError(str(exc)) from exc
        print("API token (shown once; only its hash is stored):", file=sys.stderr)
        print(token)
        return 0

    return await _with_instance(args, run)


async def cmd_delete(args: argparse.Namespace) -> int:
    from actors.publishing.publishing import delete_object

    async def run(inst: Instance) -> int:
        result = await delete_object(inst, args.url)
        print(f"deleted; queued for {result.recipients} inbox(es)")
        print(result.uri)
        return 0

    return await _with_instance(args, run)


async def cmd_followers(args: argparse.Namespace) -> int:
    from actors.social.follows import decide_follower, list_followers

    async def run(inst: Instance) -> int:
        if args.approve or args.reject:
            actor = args.approve or args.reject
            state = await decide_follower(inst, args.slug, actor, approve=bool(args.approve))
            print(f"{actor}: {state.value}")
            return 0
        rows = await list_followers(inst, args.slug)
        if not rows:
            print(f"@{args.slug} has no followers yet")
        for r in rows:
            print(f"{r.state}\t{r.uri}\t@{r.username}@{r.domain}\tsince {r.created_at:%Y-%m-%d %H:%M}")
        return 0

    return await _with_instance(args, run)


async def cmd_follow(args: argparse.Namespace) -> int:
    from actors.feed.aggregate import FollowResult, follow_many
    from actors.social.local import FEED_ACTOR_USERNAME

    def progress(i: int, n: int, r: FollowResult) -> None:
        print(f"[{i}/{n}] {r.target}: {r.state}" + (f" ({r.error})" if r.error else ""), file=sys.stderr, flush=True)

    async def run(inst: Instance) -> int:
        results = await follow_many(inst, args.targets, username=args.as_actor or FEED_ACTOR_USERNAME, progress=progress)
        for r in results:
            print(f"{r.state}\t{r.target}\t{r.uri or r.error}")
        failed = sum(r.state == "failed" for r in results)
        print(f"{len(results)} followed or asked, {failed} failed" if failed else f"{len(results)} followed or asked",
              file=sys.stderr)
        return 1 if failed else 0

    return await _with_instance(args, run)


async def cmd_unfollow(args: argparse.Namespace) -> int:
    from actors.feed.aggregate import unfollow
    from actors.social.local import FEED_ACTOR_USERNAME

    async def run(inst: Instance) -> int:
        failures = 0
        for i, target in enumerate(args.targets, 1):
            try:
                what = await unfollow(inst, target, username=args.as_actor or FEED_ACTOR_USERNAME)
            except USER_ERRORS as exc:
                failures += 1
                what = f"failed: {exc}"
            print(f"[{i}/{len(args.targets)}] {target}: {what}", file=sys.stderr)
            print(f"{what}\t{target}")
        return 1 if failures else 0

    return await _with_instance(args, run)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    from unicodedata import east_asian_width

    def width(text: str) -> int:
        return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)

    widths = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(str(c) + " " * (widths[i] - width(str(c))) for i, c in enumerate(r)).rstrip()
        for r in [header, *rows]
    ]


async def cmd_subscriptions(args: argparse.Namespace) -> int:
    from actors.feed.aggregate import (
        decide_inclusion,
        handle_of,
        inclusion_requests,
        refresh_subscriptions,
        subscriptions,
    )
    from actors.social.local import FEED_ACTOR_USERNAME

    async def run(inst: Instance) -> int:
        if args.approve or args.reject:
            target = args.approve or args.reject
            state, back = await decide_inclusion(inst, target, approve=bool(args.approve))
            print(f"{target}: {state}" + (f"; following it back ({back.value})" if back else ""))
            return 0
        if args.refresh:
            for uri, what in (await refresh_subscriptions(inst)).items():
                print(f"[refresh] {uri}: {what}", file=sys.stderr)
        subs = await subscriptions(inst, username=args.as_actor or FEED_ACTOR_USERNAME)
        if not subs:
            print("not following any community yet (yinhu follow @community@host ...)")
        else:
            rows = [
                (s.state, s.handle, s.name or "-", f"{s.last_item:%Y-%m-%d %H:%M}" if s.last_item else "-")
                for s in subs
            ]
            print("\n".join(_table(("STATE", "COMMUNITY", "NAME", "LAST ITEM"), rows)))
        requests = await inclusion_requests(inst)
        if requests:
            print("\ninclusion requests (yinhu subscriptions --approve HANDLE | --reject HANDLE):")
            rows = [(handle_of(r), r.name or "-", f"{r.created_at:%Y-%m-%d %H:%M}") for r in requests]
            print("\n".join(_table(("COMMUNITY", "NAME", "ASKED"), rows)))
        return 0

    return await _with_instance(args, run)


async def cmd_following(args: argparse.Namespace) -> int:
    from actors.social.follows import list_following
    from actors.social.local import FEED_ACTOR_USERNAME

    async def run(inst: Instance) -> int:
        rows = await list_following(inst, args.as_actor or FEED_ACTOR_USERNAME)
        if not rows:
            print("not following anyone yet (yinhu follow @community@host)")
        for r in rows:
            print(f"{r.state}\t{r.uri}\t{r.name}")
        return 0

    return await _with_instance(args, run)


async def cmd_participants(args: argparse.Namespace) -> int:
    from actors.social.rsvp import RsvpError, decide_participant, list_participants

    async def run(inst: Instance) -> int:
        try:
            if args.approve or args.reject:
                actor = args.approve or args.reject
                state = await decide_participant(inst, args.url, actor, approve=bool(args.approve))
                print(f"{actor}: {state.value}")
                return 0
            rows = await list_participants(inst, args.url)
        except RsvpError as exc:
            raise CliError(str(exc)) from exc
        if not rows:
            print("no participants yet")
        for r in rows:
            note = f"\t{r.message}" if r.message else ""
            print(f"{r.state}\t{r.uri}\t@{r.username}@{r.domain}\tsince {r.created_at:%Y-%m-%d %H:%M}{note}")
        return 0

    return await _with_instance(args, run)


def freeze_startup_heap() -> None:
    """Move everything alive after start-up out of the garbage collector's sight.

    Modules, classes, compiled queries and templates live as long as the process. Left in the
    collected generations, each full collection walks all of them: 30-40 ms pauses that made
    the inbox's p99 latency 45-55 ms at 2,500 POST/s (bench/run.py). Frozen, p99 is ~17 ms.
    Only long-running processes call this; frozen objects are never freed.
    """
    gc.collect()
    gc.freeze()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app

    settings = load_settings(_data(args))
    app = create_app(settings, workers=not args.no_workers)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"Yinhu {settings.url} serving on http://{args.host}:{args.port} (Ctrl-C stops)", flush=True)
    freeze_startup_heap()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log,
                proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    return 0


async def cmd_worker(args: argparse.Namespace) -> int:
    import signal

    from web.workers import run_workers

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run(inst: Instance) -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"Yinhu workers for {inst.settings.url} running (Ctrl-C stops)", flush=True)
        freeze_startup_heap()
        await run_workers(inst, stop)
        return 0

    return await _with_instance(args, run)


# --- parser -----------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's error format: one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        sub = self.prog.removeprefix("yinhu").strip()
        fail(f"{sub + ': ' if sub else ''}{message} (see `{self.prog} --help`)", 2)


DATA_HELP = "instance data directory (default ./yinhu-data or $YINHU_DATA)"


def build_parser() -> argparse.ArgumentParser:
    # --data may come before or after the command. The subcommands' copy has no default
    # (SUPPRESS), so `yinhu --data DIR init` keeps DIR instead of overwriting it with None;
    # given both ways, the later one (after the command) wins.
    common = _Parser(add_help=False)
    common.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS, help=DATA_HELP)
    p = _Parser(prog="yinhu", description="Yinhu (银湖): a federated ActivityPub server for local communities.")
    p.add_argument("--data", metavar="DIR", default=None, help=DATA_HELP)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("init", parents=[common], help="create a new instance (config, database, instance actor)")
    s.add_argument("--url", required=True, help="public base URL, e.g. https://yinhu.example (https unless --dev)")
    s.add_argument("--db", metavar="DATABASE_URL", help="database URL (default: SQLite in the data directory; "
                   "PostgreSQL: postgresql+asyncpg://user@host/db)")
    s.add_argument("--dev", action="store_true", help="development mode: allow http and private/loopback peers")
    s.set_defaults(run=cmd_init)

    s = sub.add_parser("migrate", parents=[common], help="upgrade the database schema to this version")
    s.set_defaults(run=cmd_migrate)

    s = sub.add_parser("serve", parents=[common], help="serve the web app with the workers inside it")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--no-workers", action="store_true", help="run no queue workers here (use `yinhu worker`)")
    s.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    s.add_argument("--access-log", action="store_true", help="log every request")
    s.set_defaults(run=cmd_serve)

    s = sub.add_parser("worker", parents=[common], help="run only the inbox and delivery workers")
    s.set_defaults(run=cmd_worker)

    s = sub.add_parser("community", parents=[common], help="create or list communities")
    csub = s.add_subparsers(dest="community_cmd", required=True, metavar="ACTION")
    c = csub.add_parser("create", parents=[common], help="create a community account")
    c.add_argument("slug", help="account name, e.g. reading-club (becomes @reading-club@host)")
    c.add_argument("--name", required=True, help="display name, e.g. 银湖读书会")
    c.add_argument("--summary", help="a short description")
    c.add_argument("--kind", default="interest", choices=COMMUNITY_KINDS)
    c.add_argument("--manual-approval", action="store_true", help="approve followers by hand")
    csub.add_parser("list", parents=[common], help="list communities")
    s.set_defaults(run=cmd_community)

    s = sub.add_parser("publish", parents=[common], help="publish content from a community (JSON file or - for stdin)")
    s.add_argument("slug")
    s.add_argument("file", metavar="FILE.json")
    s.set_defaults(run=cmd_publish)

    s = sub.add_parser("update", parents=[common], help="replace a published object's content (sends Update)")
    s.add_argument("url", help="the URL `yinhu publish` printed")
    s.add_argument("file", metavar="FILE.json")
    s.set_defaults(run=cmd_update)

    s = sub.add_parser("account", parents=[common], help="organiser accounts for the web dashboard and the API")
    asub = s.add_subparsers(dest="account_cmd", required=True, metavar="ACTION")
    a = asub.add_parser("create", parents=[common], help="create an account (asks for a password)")
    a.add_argument("name")
    a.add_argument("--community", metavar="SLUG", help="community the account organises")
    a.add_argument("--role", default="owner", choices=["owner", "moderator"])
    a.add_argument("--admin", action="store_true", help="instance administrator (all communities)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    a.add_argument("--no-password", action="store_true", help="no web login; API tokens only")
    a = asub.add_parser("grant", parents=[common], help="give an existing account a role in a community")
    a.add_argument("name")
    a.add_argument("--community", metavar="SLUG", required=True)
    a.add_argument("--role", default="moderator", choices=["owner", "moderator"])
    a = asub.add_parser("revoke", parents=[common], help="take an account's role in a community away")
    a.add_argument("name")
    a.add_argument("--community", metavar="SLUG", required=True)
    a = asub.add_parser("disable", parents=[common],
                        help="refuse the account's password and tokens and end its sessions")
    a.add_argument("name")
    a = asub.add_parser("enable", parents=[common], help="let a disabled account in again")
    a.add_argument("name")
    a = asub.add_parser("password", parents=[common], help="set a new password (asks for it); ends every session")
    a.add_argument("name")
    a.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    s.set_defaults(run=cmd_account)

    s = sub.add_parser("token", parents=[common], help="API tokens")
    tsub = s.add_subparsers(dest="token_cmd", required=True, metavar="ACTION")
    t = tsub.add_parser("create", parents=[common], help="create an API token for an account (printed once)")
    t.add_argument("account")
    t.add_argument("--label", help="what the token is for")
    t = tsub.add_parser("list", parents=[common], help="list tokens (id, account, label, last use; never the secret)")
    t.add_argument("account", nargs="?", help="only this account's tokens")
    t = tsub.add_parser("revoke", parents=[common], help="revoke a token by the id `yinhu token list` shows")
    t.add_argument("id", type=int)
    s.set_defaults(run=cmd_token)

    s = sub.add_parser("participants", parents=[common], help="list, accept or reject an event's participants")
    s.add_argument("url", help="the event's URL")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--approve", metavar="ACTOR", help="accept a pending participant (actor URL)")
    g.add_argument("--reject", metavar="ACTOR", help="reject a participant")
    s.set_defaults(run=cmd_participants)

    s = sub.add_parser("delete", parents=[common], help="delete a published object by its URL")
    s.add_argument("url")
    s.set_defaults(run=cmd_delete)

    s = sub.add_parser("followers", parents=[common], help="list, approve or reject a community's followers")
    s.add_argument("slug")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--approve", metavar="ACTOR", help="accept a pending follower (actor URL)")
    g.add_argument("--reject", metavar="ACTOR", help="reject a follower, or remove an accepted one")
    s.set_defaults(run=cmd_followers)

    s = sub.add_parser("follow", parents=[common], help="follow remote communities with the feed actor")
    s.add_argument("targets", nargs="+", metavar="HANDLE_OR_URL", help="@name@host or an actor URL (several at once)")
    s.add_argument("--as", dest="as_actor", metavar="USERNAME", help="follow as this local actor (default: yinhu)")
    s.set_defaults(run=cmd_follow)

    s = sub.add_parser("unfollow", parents=[common], help="stop following remote communities (sends Undo)")
    s.add_argument("targets", nargs="+", metavar="HANDLE_OR_URL", help="@name@host or an actor URL")
    s.add_argument("--as", dest="as_actor", metavar="USERNAME", help="unfollow as this local actor (default: yinhu)")
    s.set_defaults(run=cmd_unfollow)

    s = sub.add_parser("subscriptions", parents=[common],
                       help="what the feed actor follows (state, last item) and communities asking to be included")
    s.add_argument("--as", dest="as_actor", metavar="USERNAME", help="list for this local actor (default: yinhu)")
    s.add_argument("--refresh", action="store_true", help="refetch every followed actor first (410 → gone)")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--approve", metavar="HANDLE", help="include a community that asked: accept it and follow it back")
    g.add_argument("--reject", metavar="HANDLE", help="refuse a community's inclusion request")
    s.set_defaults(run=cmd_subscriptions)

    s = sub.add_parser("following", parents=[common], help="list what the feed actor follows")
    s.add_argument("--as", dest="as_actor", metavar="USERNAME")
    s.set_defaults(run=cmd_following)

    from web.cli_search import configure as configure_search

    configure_search(sub, common)

    from web.demo import configure as configure_demo

    configure_demo(sub.add_parser("demo", help="run three instances with sample data on 127.0.0.1 (Ctrl-C stops)"))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return int(result or 0)
    except CliError as exc:
        fail(str(exc))
    except USER_ERRORS as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except KeyboardInterrupt:
        return 130
    except (OSError, SQLAlchemyError) as exc:
        # Environment problems (disk, permissions, an unreachable database): one line, and the
        # traceback only when asked for.
        if os.environ.get("YINHU_DEBUG"):
            raise
        fail(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} (set YINHU_DEBUG=1 for details)")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
