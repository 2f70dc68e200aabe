"""Announce (a boost) by an actor followed here: the announced object is stored, once.

The object is taken as embedded only when the announcer is on the object's own origin;
otherwise it is fetched from its id (signed by the instance actor) and must be attributed to
an actor of that origin (Mastodon's ``trustworthy_attribution?``). A new event, listing or
venue is boosted onwards by the feed actor when it is publicly visible.

FEP-1b12 wrappers (Lemmy, Mobilizon): an announced ``Create`` or ``Update`` stores its object
(``ingest_announced``); an announced ``Delete`` or ``Undo`` is run by the same handler as when
its actor sends it directly, as that actor, when the wrapped activity and its actor are on
the announcer's origin (the announcer's signature vouches for what its own server says);
from another origin it is ignored, as an unsigned claim would be.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from actors.feed.aggregate import boost, followed_here, ingest_announced, kind_of
from actors.social.remote import get_actor
from fedi import vocab
from inbox.dispatch import Context, Outcome, handler_for, register
from inbox.handlers.reactions import boost_of_ours

RELAYED = frozenset({"Delete", "Undo"})


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


async def _relayed(ctx: Context, inner: dict[str, object]) -> Outcome:
    actor = vocab.get_id(inner.get("actor"))
    inner_id = vocab.get_id(inner)
    origin = _host(ctx.signer)
    if not actor or _host(actor) != origin or (inner_id and _host(inner_id) != origin):
        return Outcome.ignored(f"Announce of a {inner.get('type')} from another origin")
    handler = handler_for(inner)
    if handler is None:
        return Outcome.ignored(f"no handler for the announced {inner.get('type')}")
    outcome = await handler(Context(ctx.inst, inner, actor))
    return Outcome(outcome.state, f"announced {inner.get('type')} by {actor}: {outcome.detail}")


@register("Announce")
async def on_announce(ctx: Context) -> Outcome:
    if not ctx.object_id:
        return Outcome.ignored("Announce without an object")
    if ctx.inst.is_local_uri(ctx.object_id):
        return await boost_of_ours(ctx)  # anyone's boost of our post: counted for the organisers
    if not await followed_here(ctx.inst, [ctx.signer]):
        return Outcome.ignored("not from anyone followed here")
    if isinstance(ctx.object, dict) and ctx.object.get("type") in RELAYED:
        return await _relayed(ctx, ctx.object)
    announcer = await get_actor(ctx.inst, ctx.signer)
    result, uri = await ingest_announced(ctx.inst, announcer, ctx.object)
    if result.startswith("ignored"):
        return Outcome.ignored(f"{uri}: {result.removeprefix('ignored: ')}")
    detail = f"{uri}: {result}"
    if result == "stored" and uri and await boost(ctx.inst, uri, await kind_of(ctx.inst, uri)):
        detail += "; boosted by the feed actor"
    return Outcome.done(detail)
