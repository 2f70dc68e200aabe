"""The entry point: ``yinhu``'s parser, built from the command groups, and ``main``, which runs a command."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from web.cli.accounts import add_account_commands
from web.cli.common import DATA_HELP, USER_ERRORS, CliError, _Parser, fail
from web.cli.communities import add_community_commands, add_followers_command
from web.cli.content import add_content_commands, add_delete_command
from web.cli.demo.command import add_demo_command
from web.cli.federation import add_federation_commands, add_participants_command
from web.cli.instance import add_instance_commands
from web.cli.members import add_member_commands
from web.cli.messages import add_inbox_command
from web.cli.moderation import add_moderation_commands
from web.cli.search import add_search_commands
from web.cli.submissions import add_queue_command

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    # --data may come before or after the command. The subcommands' copy has no default
    # (SUPPRESS), so `yinhu --data DIR init` keeps DIR instead of overwriting it with None;
    # given both ways, the later one (after the command) wins.
    common = _Parser(add_help=False)
    common.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS, help=DATA_HELP)
    p = _Parser(prog="yinhu", description="Yinhu (银湖): a federated ActivityPub server for local communities.")
    p.add_argument("--data", metavar="DIR", default=None, help=DATA_HELP)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # The order here is the order `yinhu --help` lists the commands in.
    add_instance_commands(sub, common)
    add_community_commands(sub, common)
    add_content_commands(sub, common)
    add_account_commands(sub, common)
    add_participants_command(sub, common)
    add_inbox_command(sub, common)
    add_queue_command(sub, common)
    add_delete_command(sub, common)
    add_followers_command(sub, common)
    add_member_commands(sub, common)
    add_federation_commands(sub, common)
    add_search_commands(sub, common)
    add_moderation_commands(sub, common)
    add_demo_command(sub)
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
