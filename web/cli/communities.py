"""``yinhu community ...`` and ``yinhu followers``: a community and who follows it."""

from __future__ import annotations

import argparse
from typing import Any

from actors.social.local import COMMUNITY_KINDS
from actors.storage.instance import Instance
from web.cli.common import _decide_if_asked, with_instance
from web.cli.submissions import add_policy_command


@with_instance
async def cmd_community(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.local import create_community, list_communities

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


@with_instance
async def cmd_followers(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.follows import decide_follower, list_followers

    if await _decide_if_asked(args, lambda actor, approve: decide_follower(inst, args.slug, actor, approve=approve)):
        return 0
    rows = await list_followers(inst, args.slug)
    if not rows:
        print(f"@{args.slug} has no followers yet")
    for r in rows:
        print(f"{r.state}\t{r.uri}\t@{r.username}@{r.domain}\tsince {r.created_at:%Y-%m-%d %H:%M}")
    return 0


def add_community_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("community", parents=[common], help="create or list communities")
    csub = s.add_subparsers(dest="community_cmd", required=True, metavar="ACTION")
    c = csub.add_parser("create", parents=[common], help="create a community account")
    c.add_argument("slug", help="account name, e.g. reading-club (becomes @reading-club@host)")
    c.add_argument("--name", required=True, help="display name, e.g. 银湖读书会")
    c.add_argument("--summary", help="a short description")
    c.add_argument("--kind", default="interest", choices=COMMUNITY_KINDS)
    c.add_argument("--manual-approval", action="store_true", help="approve followers by hand")
    csub.add_parser("list", parents=[common], help="list communities")
    add_policy_command(csub, common)
    s.set_defaults(run=cmd_community)


def add_followers_command(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("followers", parents=[common], help="list, approve or reject a community's followers")
    s.add_argument("slug")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--approve", metavar="ACTOR", help="accept a pending follower (actor URL)")
    g.add_argument("--reject", metavar="ACTOR", help="reject a follower, or remove an accepted one")
    s.set_defaults(run=cmd_followers)
