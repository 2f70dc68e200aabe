"""What every ``yinhu`` command shares: the error format, the data directory, opening the instance."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import NoReturn

from actors.publishing.publishing import ContentError
from actors.social.follows import FollowError
from actors.social.local import CommunityError
from actors.social.remote import ActorError
from actors.storage.instance import Instance, NotInitialised
from actors.storage.settings import ConfigError, default_data_dir, load_settings
from fedi.errors import FediError

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


def with_instance(
    command: Callable[[argparse.Namespace, Instance], Awaitable[int]],
) -> Callable[[argparse.Namespace], Awaitable[int]]:
    """A command that runs with the instance open: ``command(args, inst)``, closed afterwards."""

    @functools.wraps(command)
    async def run(args: argparse.Namespace) -> int:
        return await _with_instance(args, lambda inst: command(args, inst))

    return run


async def _decide_if_asked(args: argparse.Namespace, decide: Callable[[str, bool], Awaitable[Enum]]) -> bool:
    """``--approve ACTOR`` or ``--reject ACTOR`` (followers, participants): make the decision and
    print the new state. False when neither was given, so the command lists instead."""
    actor = args.approve or args.reject
    if not actor:
        return False
    state = await decide(actor, bool(args.approve))
    print(f"{actor}: {state.value}")
    return True


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's error format: one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        sub = self.prog.removeprefix("yinhu").strip()
        fail(f"{sub + ': ' if sub else ''}{message} (see `{self.prog} --help`)", 2)


DATA_HELP = "instance data directory (default ./yinhu-data or $YINHU_DATA)"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    from unicodedata import east_asian_width

    def width(text: str) -> int:
        return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)

    widths = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(str(c) + " " * (widths[i] - width(str(c))) for i, c in enumerate(r)).rstrip()
        for r in [header, *rows]
    ]

