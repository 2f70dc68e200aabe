"""Favourites, boosts and reports of a community's posts: recorded for its organisers only.

``Like`` of a local object counts as 感兴趣 (interested) on it; ``Announce`` of a local object
(called from the Announce handler) counts as a boost; ``Undo`` of either takes it back;
``Flag`` naming a local community or object is a report. None of them is stored as content or
shown publicly (``actors.social.conversations``).
"""

from __future__ import annotations

import html

from actors.social.conversations import ConversationError, record_reaction, remove_reaction
from actors.social.remote import get_actor
from actors.storage.text import sanitize_html
from fedi import vocab
from inbox.dispatch import Context, Outcome, register


async def _record(ctx: Context, kind: str, target: str | None, content: str = "") -> Outcome:
    if not target or not ctx.inst.is_local_uri(target):
        return Outcome.ignored(f"{ctx.activity.get('type')} of {target}, not ours")
    who = await get_actor(ctx.inst, ctx.signer)
    async with ctx.inst.engine.begin() as conn:
        try:
            await record_reaction(ctx.inst, conn, who, ctx.activity, kind, target, content)
        except ConversationError as exc:
            return Outcome.ignored(str(exc))
    return Outcome.done(f"{kind} of {target} by {who.uri} recorded for the organisers")


@register("Like")
async def on_like(ctx: Context) -> Outcome:
    return await _record(ctx, "like", ctx.object_id)


async def boost_of_ours(ctx: Context) -> Outcome:
    """An Announce of one of our objects (by anyone): a boost, counted, nothing stored."""
    return await _record(ctx, "boost", ctx.object_id)


async def _undo(ctx: Context, kinds: tuple[str, ...]) -> Outcome:
    obj = ctx.object
    assert isinstance(obj, dict)
    if vocab.get_id(obj.get("actor")) not in (None, ctx.signer):
        return Outcome.ignored(f"Undo of someone else's {obj.get('type')}")
    undone = vocab.get_id(obj)
    if not undone:
        return Outcome.ignored("Undo without the undone activity's id")
    who = await get_actor(ctx.inst, ctx.signer)
    async with ctx.inst.engine.begin() as conn:
        gone = await remove_reaction(conn, who, undone, kinds)
    return Outcome.done(f"{obj.get('type')} withdrawn") if gone else Outcome.ignored(f"no {obj.get('type')} recorded")


@register("Undo", "Like")
async def on_undo_like(ctx: Context) -> Outcome:
    return await _undo(ctx, ("like",))


@register("Undo", "Announce")
async def on_undo_announce(ctx: Context) -> Outcome:
    return await _undo(ctx, ("boost",))


@register("Flag")
async def on_flag(ctx: Context) -> Outcome:
    """A report. Mastodon sends it from its instance actor (object = the account and statuses,
    ``content`` the comment); Lemmy from the reporter, ``to`` the community, ``object`` the post
    (which may live on the reporter's server: a member's post the community announced) and
    ``summary`` the reason. A report of a remote post sent to a community here is recorded as
    a report to that community, the post's address added to the text."""
    targets = [t for t in (vocab.get_id(v) for v in vocab.as_list(ctx.activity.get("object"))) if t]
    # Mastodon writes the comment in ``content``; Lemmy in ``summary``.
    content = ctx.activity.get("content") or ctx.activity.get("summary")
    text = sanitize_html(content) if isinstance(content, str) else ""
    ours = [t for t in targets if ctx.inst.is_local_uri(t)]
    if not ours:
        addressed = [t for t in (vocab.get_id(v) for key in ("to", "cc", "audience", "target")
                                 for v in vocab.as_list(ctx.activity.get(key))) if t and ctx.inst.is_local_uri(t)]
        links = "".join(f'<p><a href="{html.escape(t)}">{html.escape(t)}</a></p>' for t in targets[:5])
        ours, text = addressed, sanitize_html(text + links)
    # Objects first: the report is then about the post; a report of the community alone too.
    ours.sort(key=lambda t: "/o/" not in t)
    outcome = Outcome.ignored("a report about nothing here")
    for target in ours:
        outcome = await _record(ctx, "report", target, text)
        if outcome.state.value == "done":
            break
    return outcome
