"""``yinhu inbox SLUG``: a community's messages (replies, mentions, direct messages, favourites,
boosts, reports), newest first; answer one as the community, hide or show a public reply."""

from __future__ import annotations

import argparse
from typing import Any

from actors.storage.instance import Instance
from web.cli.common import CliError, _with_instance


def _line(r: Any) -> str:
    from actors.storage.text import html_to_text

    who = f"@{r.username}@{r.domain}" if r.username and r.domain else r.actor_uri
    mark = "*" if r.read_at is None else " "
    text = " ".join(html_to_text(r.content or "").split())
    about = f" [{r.about_name or r.about_uri}]" if r.about_uri else ""
    flags = (" (hidden)" if r.hidden_at else "") + (" (answered)" if r.answered_at else "")
    return f"{mark} {r.id}\t{r.created_at:%Y-%m-%d %H:%M}\t{r.kind}\t{who}{about}{flags}\t{text[:200]}"


async def cmd_inbox(args: argparse.Namespace) -> int:
    from actors.social.conversations import (
        ConversationError,
        answer,
        hide_reply,
        list_messages,
        mark_read,
    )
    from actors.social.local import get_local_actor

    async def run(inst: Instance) -> int:
        async with inst.engine.connect() as conn:
            community = await get_local_actor(conn, args.slug)
        if community is None or community.type != "Group":
            raise CliError(f"no community {args.slug!r} on this instance")
        try:
            if args.answer is not None:
                if not args.text:
                    raise CliError("--answer needs --text TEXT")
                visibility, create_id = await answer(inst, community, args.answer, args.text)
                print(f"answered {args.answer} ({visibility}): {create_id}")
                return 0
            if args.hide is not None or args.show is not None:
                uri = await hide_reply(inst, community.id, args.hide if args.hide is not None else args.show,
                                       hidden=args.hide is not None)
                print(f"{'hidden' if args.hide is not None else 'shown again'}: {uri}")
                return 0
        except ConversationError as exc:
            raise CliError(str(exc)) from exc
        rows = await list_messages(inst, community.id, limit=args.limit)
        if not rows:
            print("no messages yet")
        for r in rows:
            print(_line(r))
        if args.mark_read:
            print(f"{await mark_read(inst, community.id)} marked read")
        return 0

    return await _with_instance(args, run)


def add_inbox_command(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("inbox", parents=[common],
                       help="a community's messages, newest first (* unread); answer one as the community")
    s.add_argument("slug", help="the community")
    s.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    s.add_argument("--mark-read", action="store_true", help="mark every message read after listing")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--answer", type=int, metavar="ID", help="answer message ID (direct stays direct, public stays public)")
    g.add_argument("--hide", type=int, metavar="ID", help="hide the public reply of message ID from the page and collection")
    g.add_argument("--show", type=int, metavar="ID", help="show a hidden reply again")
    s.add_argument("--text", metavar="TEXT", help="the answer's text (with --answer)")
    s.set_defaults(run=cmd_inbox)
