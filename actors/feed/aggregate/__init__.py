"""The shared feed: the feed actor (``@yinhu``) follows communities everywhere and boosts them.

* ``follow_many`` / ``unfollow`` / ``subscriptions``: what ``yinhu follow``, ``yinhu unfollow``
  and ``yinhu subscriptions`` run. A subscription's state is its ``follows`` row (pending,
  accepted, rejected) or ``gone`` when the remote actor was deleted or answered 410 (its
  ``actors.deleted_at``); "last item" is the newest ``objects.published`` of that community.
* ``backfill``: on Accept of one of our Follows, the first page of the community's outbox (at
  most ``BACKFILL_LIMIT`` items, newest first) is read. Items may be embedded ``Create``s, bare
  object ids (fetched, signed by the instance actor) or ``Announce``s of objects on the
  community's own host (unwrapped, as Gancio does). An object is stored only when it lives on
  the community's host and is attributed to the community or an actor of that host. Failures
  are counted and reported, never raised: the Accept is recorded whatever happens here.
* ``is_relevant``: Mastodon's rule for pushed content (G2): keep it only when a local actor
  follows the sender, the author or the object's FEP-1b12 ``audience`` with an accepted
  follow, or it addresses a local actor. Kept is not shown: ``actors.social.visibility`` decides that.
* ``ingest_announced``: an Announce by a followed actor. The object is used as embedded only
  when the announcer is on the object's own origin; otherwise it is fetched from its id.
* ``boost``: the feed actor Announces every *new* event, listing or venue that arrived live
  (pushed Create or Announce), to Public with its followers in cc, so a Mastodon user following
  ``@yinhu@host`` sees it as a boost. Backfilled items are not boosted: they are old, and
  Mastodon itself never backfills (G10); boosting twenty old items per new follow would flood
  timelines. Local communities' content is not boosted yet: ``publish`` would call
  ``boost(inst, uri, kind, conn=conn)`` after its ``emit`` (a venue: ``f"{uri}/announce"``).
* Inclusion requests: a ``Group`` that follows the feed actor asks to be aggregated. It stays
  pending until an admin runs ``yinhu subscriptions --approve HANDLE``, which accepts its
  Follow and makes the feed actor follow it back. People and services following the feed
  actor are accepted at once (it does not approve followers by hand).

The package: ``following`` (what the feed actor follows, its subscriptions), ``intake``
(storing, relevance, Announces, backfill), ``boosting`` (the feed actor's Announces).
"""

from __future__ import annotations

from actors.feed.aggregate.boosting import (
    BOOSTED_KINDS,
    boost,
    undo_boost,
)
from actors.feed.aggregate.following import (
    FollowResult,
    Subscription,
    decide_inclusion,
    follow_many,
    handle_of,
    inclusion_requests,
    refresh_subscriptions,
    subscriptions,
    unfollow,
)
from actors.feed.aggregate.intake import (
    BACKFILL_LIMIT,
    BackfillResult,
    backfill,
    followed_here,
    ingest_announced,
    is_relevant,
    kind_of,
    store_once,
)

__all__ = [
    "BACKFILL_LIMIT",
    "BOOSTED_KINDS",
    "BackfillResult",
    "FollowResult",
    "Subscription",
    "backfill",
    "boost",
    "decide_inclusion",
    "follow_many",
    "followed_here",
    "handle_of",
    "inclusion_requests",
    "ingest_announced",
    "is_relevant",
    "kind_of",
    "refresh_subscriptions",
    "store_once",
    "subscriptions",
    "undo_boost",
    "unfollow",
]
