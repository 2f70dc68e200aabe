"""``yinhu follow``, ``unfollow``, ``subscriptions``, ``following``, ``participants``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from actors.storage.instance import Instance
from web.cli.common import (
    USER_ERRORS,
    CliError,
    _decide_if_asked,
    _table,
    with_instance,
)


@with_instance
async def cmd_follow(args: argparse.Namespace, inst: Instance) -> int:
    from actors.feed.aggregate import FollowResult, follow_many
    from actors.social.local import FEED_ACTOR_USERNAME

    def progress(i: int, n: int, r: FollowResult) -> None:
        print(f"[{i}/{n}] {r.target}: {r.state}" + (f" ({r.error})" if r.error else ""), file=sys.stderr, flush=True)

    results = await follow_many(inst, args.targets, username=args.as_actor or FEED_ACTOR_USERNAME, progress=progress)
    for r in results:
        print(f"{r.state}\t{r.target}\t{r.uri or r.error}")
    failed = sum(r.state == "failed" for r in results)
    print(f"{len(results)} followed or asked, {failed} failed" if failed else f"{len(results)} followed or asked",
          file=sys.stderr)
    return 1 if failed else 0


@with_instance
async def cmd_unfollow(args: argparse.Namespace, inst: Instance) -> int:
    from actors.feed.aggregate import unfollow
    from actors.social.local import FEED_ACTOR_USERNAME

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


@with_instance
async def cmd_subscriptions(args: argparse.Namespace, inst: Instance) -> int:
    from actors.feed.aggregate import (
        decide_inclusion,
        handle_of,
        inclusion_requests,
        refresh_subscriptions,
        subscriptions,
    )
    from actors.social.local import FEED_ACTOR_USERNAME

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


@with_instance
async def cmd_following(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.follows import list_following
    from actors.social.local import FEED_ACTOR_USERNAME

    rows = await list_following(inst, args.as_actor or FEED_ACTOR_USERNAME)
    if not rows:
        print("not following anyone yet (yinhu follow @community@host)")
    for r in rows:
        print(f"{r.state}\t{r.uri}\t{r.name}")
    return 0


@with_instance
async def cmd_participants(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.participation import decide
    from actors.social.rsvp import RsvpError, list_participants

    try:
        if await _decide_if_asked(
            args, lambda actor, approve: decide(inst, args.url, actor, approve=approve)
        ):
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


def add_participants_command(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("participants", parents=[common], help="list, accept or reject an event's participants")
    s.add_argument("url", help="the event's URL")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--approve", metavar="ACTOR", help="accept a pending participant (actor URL)")
    g.add_argument("--reject", metavar="ACTOR", help="reject a participant")
    s.set_defaults(run=cmd_participants)


def add_federation_commands(sub: Any, common: argparse.ArgumentParser) -> None:
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
