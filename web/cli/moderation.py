"""``yinhu domain …`` (instance domain policies), ``ban``, ``unban``, ``remove``, ``report``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from actors.storage.instance import Instance
from web.cli.common import CliError, _table, with_instance


@with_instance
async def cmd_domain_block(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.domains import block

    what = await block(inst, args.domain, args.severity, args.reason or "")
    print(f"{what}\t{args.domain}\t{args.severity}")
    return 0


@with_instance
async def cmd_domain_unblock(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.domains import unblock

    if not await unblock(inst, args.domain):
        raise CliError(f"no policy for {args.domain}")
    print(f"unblocked\t{args.domain}")
    return 0


@with_instance
async def cmd_domain_list(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.domains import list_policies

    rows = [(p.domain, p.severity, p.source, p.reason or "-") for p in await list_policies(inst)]
    print("\n".join(_table(("DOMAIN", "SEVERITY", "SOURCE", "REASON"), rows)) if rows else "no domain policies")
    return 0


@with_instance
async def cmd_domain_import(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.domains import import_csv

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}") from exc
    report = await import_csv(inst, text, source=args.source)
    for label, items in (("added", report.added), ("changed", report.changed), ("skipped", report.skipped)):
        for item in items:
            print(f"{label}\t{item}")
    for error in report.errors:
        print(f"yinhu: {args.file}: {error}", file=sys.stderr)
    print(f"{len(report.added)} added, {len(report.changed)} changed, {len(report.skipped)} skipped, "
          f"{len(report.errors)} errors", file=sys.stderr)
    return 0


@with_instance
async def cmd_domain_held(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.domains import list_held

    rows = [(str(h.id), h.activity_type, h.signer, f"{h.received_at:%Y-%m-%d %H:%M}") for h in await list_held(inst, args.domain)]
    print("\n".join(_table(("ID", "TYPE", "FROM", "RECEIVED"), rows)) if rows else "nothing held")
    return 0


@with_instance
async def cmd_domain_release(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.domains import discard_held, release_held

    if bool(args.ids) == bool(args.all):
        raise CliError("give item ids or --all DOMAIN")
    decide = discard_held if args.discard else release_held
    count = await decide(inst, args.ids, args.all)
    print(f"{count} {'discarded' if args.discard else 'released'}")
    return 0


@with_instance
async def cmd_ban(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.moderation import ban, unban

    if args.undo:
        print(f"unbanned\t{args.target}\t{await unban(inst, args.slug, args.target)}")
    else:
        print(f"banned\t{args.target}\t{await ban(inst, args.slug, args.target, args.reason)}")
    return 0


@with_instance
async def cmd_remove(args: argparse.Namespace, inst: Instance) -> int:
    from actors.publishing.removal import remove

    removed = await remove(inst, args.url, args.reason)
    print(f"removed\t{removed.uri}\tfrom {removed.community}\t{len(removed.sent)} activities sent")
    return 0


@with_instance
async def cmd_report(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.moderation import report

    print(f"reported\t{args.url}\t{await report(inst, args.url, args.reason, community=args.community)}")
    return 0


def _add_domain_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    from actors.storage.domains import SEVERITIES

    d = sub.add_parser("domain", parents=[common], help="instance domain policies: suspend, silence, review")
    dsub = d.add_subparsers(dest="domain_command", required=True, metavar="ACTION")
    s = dsub.add_parser("block", parents=[common], help="set a domain's policy (subdomains included)")
    s.add_argument("domain")
    s.add_argument("--severity", required=True, choices=SEVERITIES)
    s.add_argument("--reason", default="", help="shown in the public moderation log")
    s.set_defaults(run=cmd_domain_block)
    s = dsub.add_parser("unblock", parents=[common], help="lift a domain's policy")
    s.add_argument("domain")
    s.set_defaults(run=cmd_domain_unblock)
    s = dsub.add_parser("list", parents=[common], help="list domain policies")
    s.set_defaults(run=cmd_domain_list)
    s = dsub.add_parser("import", parents=[common], help="merge a Mastodon domain-block CSV export (IFTAS DNI, CARIAD)")
    s.add_argument("file", metavar="FILE.csv")
    s.add_argument("--source", default="import", help="recorded as the policies' source (default: import)")
    s.set_defaults(run=cmd_domain_import)
    s = dsub.add_parser("held", parents=[common], help="list what domains under review sent, held for a moderator")
    s.add_argument("domain", nargs="?")
    s.set_defaults(run=cmd_domain_held)
    s = dsub.add_parser("release", parents=[common], help="release held items into processing (or --discard them)")
    s.add_argument("ids", nargs="*", type=int, metavar="ID")
    s.add_argument("--all", metavar="DOMAIN", help="every item held from DOMAIN")
    s.add_argument("--discard", action="store_true", help="discard instead of releasing")
    s.set_defaults(run=cmd_domain_release)


def add_moderation_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    _add_domain_commands(sub, common)
    for name, undo in (("ban", False), ("unban", True)):
        s = sub.add_parser(name, parents=[common],
                           help="lift a ban (Undo Block)" if undo else "ban a person from a community (Block)")
        s.add_argument("slug", metavar="SLUG")
        s.add_argument("target", metavar="@user@host|ACTOR_URL")
        if not undo:
            s.add_argument("--reason", required=True)
        s.set_defaults(run=cmd_ban, undo=undo)
    s = sub.add_parser("remove", parents=[common], help="remove an approved item with a reason (Undo Announce, Delete)")
    s.add_argument("url", help="the item's id or its page")
    s.add_argument("--reason", required=True)
    s.set_defaults(run=cmd_remove)
    s = sub.add_parser("report", parents=[common], help="report a remote object or account to its server (Flag)")
    s.add_argument("url")
    s.add_argument("--reason", required=True)
    s.add_argument("--community", metavar="SLUG", help="report as this community (default: the instance actor)")
    s.set_defaults(run=cmd_report)
