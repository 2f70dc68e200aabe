"""``yinhu community policy SLUG`` (what a community does with submissions) and ``yinhu queue
SLUG`` (its moderators' queue: list, show, approve, reject), over
``actors.social.submissions`` and ``actors.publishing.decisions``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from actors.storage.instance import Instance
from web.cli.common import CliError, with_instance


def _policy_line(slug: str, policy: tuple[str, bool]) -> str:
    submissions, trust = policy
    return f"@{slug}: submissions {submissions}; members {'trusted (skip the queue)' if trust else 'queued like everyone'}"


@with_instance
async def cmd_policy(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.submissions import policy_of, set_policy

    if args.submissions is None and args.trust_members is None:
        print(_policy_line(args.slug, await policy_of(inst, args.slug)))
        return 0
    policy = await set_policy(inst, args.slug, submissions=args.submissions, trust_members=args.trust_members)
    print(_policy_line(args.slug, policy))
    return 0


def _who(r: Any) -> str:
    if r.origin == "web":
        return f"{r.submitter_name or '?'} (web)"
    return f"@{r.username}@{r.domain}" if r.username and r.domain else str(r.actor_uri or "?")


def _title(r: Any) -> str:
    from actors.storage.text import html_to_text

    draft = json.loads(r.draft) if r.draft else {}
    title = draft.get("title") or draft.get("name") or r.object_name or html_to_text(r.content or "")
    return " ".join(str(title).split())[:80]


def _show(r: Any) -> None:
    from actors.social.submissions import seen_mark
    from actors.storage.text import html_to_text

    print(f"submission {r.id}: {r.state} {r.shape} {r.kind} from {_who(r)} at {r.created_at:%Y-%m-%d %H:%M}")
    print(f"version: {seen_mark(r)} (approve with --seen {seen_mark(r)} to refuse it if the author edits it meanwhile)")
    if r.object_name:
        print(f"title: {r.object_name}")
    if r.object_uri:
        print(f"object: {r.object_uri}")
    if r.contact:
        print(f"contact (moderators only): {r.contact}")
    if r.reason:
        print(f"reason: {r.reason}")
    print("text:")
    print(html_to_text(r.content or ""))
    if r.draft:
        print("draft (correct it in a file and approve with --draft FILE.json):")
        print(json.dumps(json.loads(r.draft), ensure_ascii=False, indent=2))


def _draft_file(path: str) -> dict[str, Any]:
    try:
        body = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"cannot read the draft {path}: {exc}") from exc
    if not isinstance(body, dict):
        raise CliError(f"the draft {path} is not a JSON object")
    return body


async def _decide(args: argparse.Namespace, inst: Instance, community: Any) -> int:
    from actors.publishing.decisions import approve, reject

    by = args.by or "cli"
    if args.approve is not None:
        draft = _draft_file(args.draft) if args.draft else None
        decision = await approve(inst, args.approve, by=by, draft=draft, community_id=community.id, seen=args.seen)
        print(f"approved {decision.submission_id}: {decision.object_uri}")
        return 0
    if not args.reason:
        raise CliError("--reject needs --reason TEXT (the submitter is told)")
    decision = await reject(inst, args.reject, by=by, reason=args.reason, community_id=community.id)
    print(f"rejected {decision.submission_id}")
    return 0


@with_instance
async def cmd_queue(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.local import require_local_actor
    from actors.social.submissions import SubmissionError, age_of, get_submission, list_queue

    async with inst.engine.connect() as conn:
        community = await require_local_actor(conn, args.slug, community=True)
        if community.type != "Group":
            raise CliError(f"no community {args.slug!r} on this instance")
        try:
            if args.show is not None:
                _show(await get_submission(conn, community.id, args.show))
                return 0
        except SubmissionError as exc:
            raise CliError(str(exc)) from exc
    if (args.draft or args.seen) and args.approve is None:
        raise CliError("--draft and --seen go with --approve ID")
    try:
        if args.approve is not None or args.reject is not None:
            return await _decide(args, inst, community)
    except SubmissionError as exc:
        raise CliError(str(exc)) from exc
    rows = await list_queue(inst, community.id)
    if not rows:
        print(f"@{args.slug}: nothing waiting")
    now = inst.clock()
    for r in rows:
        print(f"{r.id}\t{r.kind}\t{_who(r)}\t{_title(r)}\t{age_of(r, now)}")
    return 0


def _id(value: str) -> int:
    number = int(value)
    if not 0 < number < 2**63:
        raise ValueError(value)
    return number


def add_policy_command(csub: Any, common: argparse.ArgumentParser) -> None:
    p = csub.add_parser("policy", parents=[common], help="show or set what the community does with submissions")
    p.add_argument("slug", help="the community")
    p.add_argument("--submissions", choices=("open", "moderated", "closed"),
                   help="open: members' and followers' submissions are published at once; moderated (default): "
                        "queued; closed: refused")
    p.add_argument("--trust-members", action=argparse.BooleanOptionalAction, default=None,
                   help="members' submissions skip the queue")
    p.set_defaults(run=cmd_policy)


def add_queue_command(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("queue", parents=[common], help="a community's pending submissions: list, show, approve, reject")
    s.add_argument("slug", help="the community")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--show", type=_id, metavar="ID", help="show submission ID (draft fields, contact)")
    g.add_argument("--approve", type=_id, metavar="ID", help="approve submission ID: announced or published")
    g.add_argument("--reject", type=_id, metavar="ID", help="reject submission ID (with --reason)")
    s.add_argument("--draft", metavar="FILE.json", help="with --approve: the corrected draft to publish")
    s.add_argument("--seen", metavar="VERSION", help="with --approve: the version --show printed; refused if the "
                   "author edited the submission since")
    s.add_argument("--reason", metavar="TEXT", help="with --reject: why (sent to the submitter)")
    s.add_argument("--by", metavar="NAME", help="who decides, for the moderation log (default: cli)")
    s.set_defaults(run=cmd_queue)
