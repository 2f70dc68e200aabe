"""The database schema: one table per kind of thing, shared by SQLite and PostgreSQL.

Alembic owns the schema (``actors/storage/migrations``); these Table objects are what the code queries
with SQLAlchemy Core. Raw JSON documents are kept as text so that what a peer sent, or what we
sent, can always be shown again byte for byte.
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from actors.storage.community_tables import (  # declared beside, re-exported: every table is importable here
    community_bans,
    community_members,
    domain_policies,
    invitations,
    moderation_log,
    submissions,
)
from actors.storage.schema import Id, metadata, ts

__all__ = [
    "SEARCH_TABLES",
    "DeliveryState",
    "FollowState",
    "InboxState",
    "ParticipantState",
    "Role",
    "accounts",
    "activities",
    "actors",
    "community_bans",
    "community_members",
    "deliveries",
    "domain_policies",
    "event_updates",
    "follows",
    "hosts",
    "inbox_items",
    "invitations",
    "login_failures",
    "media",
    "memberships",
    "messages",
    "metadata",
    "moderation_log",
    "objects",
    "participants",
    "submissions",
    "tokens",
]

# Tables the search index (actors/feed/search/) owns (SQLite's FTS5 keeps shadow tables
# beside it): migration 0003 creates them by hand and schema autogeneration must leave them alone.
SEARCH_TABLES = frozenset(
    {"search_index", "search_synonyms"}
    | {f"search_index_{s}" for s in ("data", "idx", "content", "docsize", "config")}
)


class FollowState(str, enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class ParticipantState(str, enum.Enum):
    PENDING = "pending"  # a restricted event: the organiser decides
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Role(str, enum.Enum):
    OWNER = "owner"
    MODERATOR = "moderator"


class InboxState(str, enum.Enum):
    PENDING = "pending"
    DONE = "done"
    IGNORED = "ignored"
    FAILED = "failed"
    HELD = "held"  # from a domain under review: kept for a moderator, never claimed (actors.social.domains)


class DeliveryState(str, enum.Enum):
    PENDING = "pending"  # due at next_try_at
    SENT = "sent"
    DEAD = "dead"  # given up: a permanent error, or retried for days


actors = Table(
    "actors",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("uri", String(2048), nullable=False, unique=True),
    Column("local", Boolean, nullable=False, default=False),
    Column("type", String(32), nullable=False),
    Column("username", String(255), nullable=False),
    Column("domain", String(255), nullable=False),
    Column("name", Text, nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("kind", String(32), nullable=True),  # community kind for local Groups
    Column("inbox", String(2048), nullable=True),
    Column("shared_inbox", String(2048), nullable=True),
    Column("outbox", String(2048), nullable=True),
    Column("followers_url", String(2048), nullable=True),
    Column("key_id", String(2048), nullable=True),
    Column("public_key_pem", Text, nullable=True),
    Column("private_key_pem", Text, nullable=True),
    Column("manually_approves", Boolean, nullable=False, default=False),
    # Members' submissions (0014), local Groups only: open | moderated | closed (null: moderated),
    # and whether a member's submissions skip the queue.
    Column("submission_policy", String(16), nullable=True),
    Column("trust_members", Boolean, nullable=False, server_default="0"),
    Column("raw", Text, nullable=True),
    ts("fetched_at", nullable=True),
    ts("created_at", nullable=False),
    ts("updated_at", nullable=False),
    ts("deleted_at", nullable=True),
    UniqueConstraint("username", "domain", name="uq_actors_username_domain"),
)
Index("ix_actors_key_id", actors.c.key_id)

objects = Table(
    "objects",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("uri", String(2048), nullable=False, unique=True),
    Column("actor_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("local", Boolean, nullable=False, default=False),
    Column("type", String(32), nullable=False),
    Column("source", Text, nullable=True),  # the author's Markdown, local objects only
    Column("content", Text, nullable=False, default=""),  # sanitized HTML
    Column("language", String(16), nullable=True),
    Column("raw", Text, nullable=False),
    ts("published", nullable=False),
    ts("updated", nullable=True),
    ts("deleted_at", nullable=True),
    # Typed columns for querying (filled for events, listings and venues; null for notes).
    Column("kind", String(16), nullable=True),  # note | event | listing | venue
    Column("name", Text, nullable=True),  # title
    ts("start_time", nullable=True),
    ts("end_time", nullable=True),
    Column("timezone", String(64), nullable=True),
    Column("place_name", Text, nullable=True),
    Column("address", Text, nullable=True),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("category", String(64), nullable=True),
    Column("tags", Text, nullable=True),  # space-separated, lowercase, without '#'
    Column("capacity", Integer, nullable=True),
    Column("join_mode", String(16), nullable=True),
    Column("status", String(16), nullable=True),
    Column("listing_kind", String(16), nullable=True),
    Column("purpose", String(16), nullable=True),
    Column("price_amount", Numeric(12, 2), nullable=True),
    Column("currency", String(8), nullable=True),
    Column("price_mode", String(16), nullable=True),
    Column("condition", String(32), nullable=True),
    Column("amenities", Text, nullable=True),  # space-separated amenity keys
    ts("expires_at", nullable=True),
    Column("url", String(2048), nullable=True),  # the human page (may differ from uri remotely)
    # Who may see it, from its addressing (actors.social.visibility): public | unlisted | followers |
    # direct; null (rows from before 0007 that could not be read) counts as not public. "x-" before
    # it (x-public): withheld by a domain policy (silence, suspend), restored when it is lifted.
    Column("visibility", String(16), nullable=True),
    # The community it belongs to (audience, a community in attributedTo, the followed group
    # that announced it, the followed sender or outbox owner); actor_id is its byline. No
    # foreign key (SQLite cannot add one in place): an id that names no community here is
    # simply not shown.
    Column("community_id", Id, nullable=True),
    # Conversations (0012): the parent's id when this is a reply, the local object its thread
    # hangs under (null: not a reply to anything here), and when an organiser hid it.
    Column("in_reply_to", String(2048), nullable=True),
    Column("reply_root_id", Id, nullable=True),
    ts("hidden_at", nullable=True),
    # When its organisers pinned this notice to the top of their community's notices (0013).
    ts("pinned_at", nullable=True),
)
Index("ix_objects_actor_published", objects.c.actor_id, objects.c.published)
# The feed's queries walk these in order and stop at the page size: time windows of events,
# the newest items of a kind, of a category, and of all. Partial (live rows only) with id as
# the last sort key: PostgreSQL takes neither ``deleted_at IS NULL`` as fixing a column's
# value nor an index as ordered by ``(published, id)`` unless id is in it, and then sorted
# every live row of a kind (17 ms for venues at 100k objects; 0.15 ms with these). In the
# events index ``coalesce(end_time, start_time)`` skips events that already ended inside the
# index, without reading their rows (whose raw JSON is large): 21 ms → 1.4 ms on PostgreSQL.
LIVE = objects.c.deleted_at.is_(None)
# Each ends with the columns of the public filter (visibility, community_id): a row that is
# not shown is skipped inside the index instead of being read (migration 0011).
PUBLIC_FILTER = (objects.c.visibility, objects.c.community_id)
Index("ix_objects_live_time", objects.c.kind, objects.c.start_time, objects.c.id,
      func.coalesce(objects.c.end_time, objects.c.start_time), *PUBLIC_FILTER, postgresql_where=LIVE, sqlite_where=LIVE)
Index("ix_objects_live_kind", objects.c.kind, objects.c.published, objects.c.id, *PUBLIC_FILTER,
      postgresql_where=LIVE, sqlite_where=LIVE)
Index("ix_objects_live_category", objects.c.category, objects.c.published, objects.c.id, *PUBLIC_FILTER,
      postgresql_where=LIVE, sqlite_where=LIVE)
Index("ix_objects_live", objects.c.published, objects.c.id, *PUBLIC_FILTER, postgresql_where=LIVE, sqlite_where=LIVE)
Index("ix_objects_geo", objects.c.latitude, objects.c.longitude)
Index("ix_objects_community_id", objects.c.community_id)
Index("ix_objects_reply_root_id", objects.c.reply_root_id)
Index("ix_objects_in_reply_to", objects.c.in_reply_to)

activities = Table(
    "activities",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("uri", String(2048), nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("actor_uri", String(2048), nullable=False),
    Column("object_uri", String(2048), nullable=True),
    Column("local", Boolean, nullable=False, default=False),
    Column("public", Boolean, nullable=False, default=False),  # shown in the outbox
    Column("raw", Text, nullable=False),
    ts("created_at", nullable=False),
)
Index("ix_activities_outbox", activities.c.actor_uri, activities.c.public, activities.c.id)

follows = Table(
    "follows",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("follower_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("followed_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("follow_uri", String(2048), nullable=False),
    Column("state", String(16), nullable=False),
    ts("created_at", nullable=False),
    ts("updated_at", nullable=False),
    UniqueConstraint("follower_id", "followed_id", name="uq_follows_pair"),
)
Index("ix_follows_followed_state", follows.c.followed_id, follows.c.state)
Index("ix_follows_follow_uri", follows.c.follow_uri)

inbox_items = Table(
    "inbox_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("activity_uri", String(2048), nullable=False),
    Column("activity_type", String(64), nullable=False),
    Column("signer", String(2048), nullable=False),  # the verified key owner
    Column("body", Text, nullable=False),  # the raw JSON as received
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("result", Text, nullable=True),  # what the handler did, or why it ignored it
    ts("received_at", nullable=False),
    ts("lease_until", nullable=True),
    ts("processed_at", nullable=True),
    # Every update by a worker must match the token it leased with (a lost lease writes nothing).
    Column("lease_token", String(32), nullable=True),
    Column("origin", String(255), nullable=True),  # the sender's host: its share of the worker
    # The object the activity is about: items with one key are processed in arrival order.
    Column("object_key", String(2048), nullable=True),
)
# The claim walks pending items in id order and filters on origin and lease from the index
# alone (migration 0011), without reading the stored bodies.
Index("ix_inbox_items_state", inbox_items.c.state, inbox_items.c.id, inbox_items.c.origin, inbox_items.c.lease_until)
Index("ix_inbox_items_object_key", inbox_items.c.object_key, inbox_items.c.id)
Index("ix_inbox_items_processed", inbox_items.c.processed_at)
Index("ix_inbox_items_activity_uri", inbox_items.c.activity_uri, unique=True)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("activity_id", Id, ForeignKey("activities.id", ondelete="CASCADE"), nullable=False),
    Column("sender_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("inbox", String(2048), nullable=False),
    Column("host", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    ts("next_try_at", nullable=False),
    ts("lease_until", nullable=True),
    Column("lease_token", String(32), nullable=True),  # every update must match it (fencing)
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    ts("created_at", nullable=False),
    ts("done_at", nullable=True),
    UniqueConstraint("activity_id", "inbox", name="uq_deliveries_activity_inbox"),
)
Index("ix_deliveries_due", deliveries.c.state, deliveries.c.next_try_at)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=True),  # Argon2id; null: API tokens only
    Column("is_admin", Boolean, nullable=False, default=False),
    ts("created_at", nullable=False),
    ts("last_login_at", nullable=True),
    ts("disabled_at", nullable=True),  # set: no login, no API token, no session
    # Bumped by logout, a password change and disabling: every session cookie carries the
    # version it was made under and stops working when it differs.
    Column("session_version", Integer, nullable=False, default=0, server_default="0"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("actor_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False),
    ts("created_at", nullable=False),
    UniqueConstraint("account_id", "actor_id", name="uq_memberships_pair"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 hex; the token itself is never stored
    Column("name", String(128), nullable=False, default=""),
    ts("created_at", nullable=False),
    ts("last_used_at", nullable=True),
    ts("revoked_at", nullable=True),
)

# Failed logins, shared by every process on the database (web.sessions.LoginLimiter). One row
# per key (account name + client address, or client address alone); rows older than a day are
# pruned, so the table holds at most one day's distinct keys.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(64), primary_key=True),  # SHA-256 hex of the key, so its length is fixed
    Column("failures", Integer, nullable=False),
    ts("last_failure_at", nullable=False),
    ts("blocked_until", nullable=True),
)
Index("ix_login_failures_last", login_failures.c.last_failure_at)

media = Table(
    "media",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token", String(32), nullable=False, unique=True),
    Column("actor_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("path", String(512), nullable=False),  # relative to the data directory
    Column("media_type", String(64), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("alt", Text, nullable=False, default=""),
    ts("created_at", nullable=False),
)

participants = Table(
    "participants",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("object_id", Id, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False),
    Column("actor_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("join_uri", String(2048), nullable=False),
    Column("state", String(16), nullable=False),
    Column("message", Text, nullable=True),
    ts("created_at", nullable=False),
    ts("updated_at", nullable=False),
    UniqueConstraint("object_id", "actor_id", name="uq_participants_pair"),
)

# What people did with a community's posts, for its organisers only (actors.social.conversations):
# kind reply | mention | direct | like | boost | report | interested; one row per (community, activity).
messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("actor_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),  # who did it
    Column("activity_uri", String(2048), nullable=False),
    Column("object_uri", String(2048), nullable=True),  # their note, or what a report names
    Column("about_id", Id, ForeignKey("objects.id", ondelete="SET NULL"), nullable=True),  # our object
    Column("content", Text, nullable=False, default=""),  # sanitized HTML
    Column("visibility", String(16), nullable=True),
    ts("created_at", nullable=False),
    ts("read_at", nullable=True),
    ts("answered_at", nullable=True),
    UniqueConstraint("community_id", "activity_uri", name="uq_messages_community_activity"),
)
Index("ix_messages_community", messages.c.community_id, messages.c.id)
Index("ix_messages_about", messages.c.about_id, messages.c.kind)

# Followers get an Update of an event when its counts change, at most once a minute.
event_updates = Table(
    "event_updates",
    metadata,
    Column("object_id", Id, ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True),
    ts("last_sent_at", nullable=True),
    ts("due_at", nullable=True),
    Column("participant_count", Integer, nullable=True),  # as last sent
)
Index("ix_event_updates_due", event_updates.c.due_at)

hosts = Table(
    "hosts",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    ts("backoff_until", nullable=True),
    ts("first_failure_at", nullable=True),
    ts("last_success_at", nullable=True),
    # What this host accepted last: "cavage" or "rfc9421" (null: not known yet, start with cavage).
    Column("signature_scheme", String(16), nullable=True),
)

