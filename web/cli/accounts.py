"""``yinhu account ...`` and ``yinhu token ...``: organiser accounts and API tokens."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from actors.storage.instance import Instance
from web.cli.common import CliError, _table, with_instance


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


@with_instance
async def cmd_account(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.accounts import (
        AccountError,
        add_membership,
        create_account,
        remove_membership,
        set_disabled,
        set_password,
    )
    from actors.storage.models import Role

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


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


@with_instance
async def cmd_token(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.accounts import AccountError, create_token, list_tokens, revoke_token_id

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


def add_account_commands(sub: Any, common: argparse.ArgumentParser) -> None:
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
