"""Tables of members' submissions and moderation (migration 0014): submissions, members and
invitations, bans, domain policies, the public moderation log. ``actors.storage.models``
re-exports them with every other table."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from actors.storage.schema import Id, metadata, ts

__all__ = ["community_bans", "community_members", "domain_policies", "invitations", "moderation_log", "submissions"]

# Members' submissions and moderation (0014). What someone proposed to a community: a post or
# object from the fediverse (origin "fediverse", with its activity) or a form on the web
# (origin "web", anonymous, with a contact only moderators see). shape "object": approved, the
# community announces the submitted Create as it is (FEP-1b12); shape "draft": approved, the
# draft body (moderator-editable JSON, validated as the organisers' own) is published as the
# community's own object crediting the submitter. state pending | approved | rejected | removed.
submissions = Table(
    "submissions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("actor_id", Id, ForeignKey("actors.id", ondelete="SET NULL"), nullable=True),  # null: from the web
    Column("origin", String(16), nullable=False),
    Column("shape", String(16), nullable=False),
    Column("kind", String(16), nullable=False),  # event | listing | venue | note
    Column("activity_uri", String(2048), nullable=True),
    Column("object_uri", String(2048), nullable=True),
    Column("raw", Text, nullable=True),  # the activity as received
    Column("draft", Text, nullable=True),  # JSON body for validation and publishing
    Column("content", Text, nullable=False, default=""),  # sanitized HTML, for moderators
    Column("submitter_name", String(255), nullable=True),
    Column("contact", Text, nullable=True),  # moderators only, never public
    Column("client_key", String(64), nullable=True),  # SHA-256 hex of the web client's address
    Column("state", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("object_id", Id, ForeignKey("objects.id", ondelete="SET NULL"), nullable=True),
    Column("announce_uri", String(2048), nullable=True),
    Column("decided_by", String(64), nullable=True),
    # A moderator's approval of a remote post: the fingerprint (actors.social.visibility.object_mark)
    # of the version approved, which a silence does not withhold (migration 0015).
    Column("vouched_mark", String(16), nullable=True),
    ts("created_at", nullable=False),
    ts("decided_at", nullable=True),
    UniqueConstraint("community_id", "activity_uri", name="uq_submissions_community_activity"),
)
Index("ix_submissions_queue", submissions.c.community_id, submissions.c.state, submissions.c.id)
Index("ix_submissions_client", submissions.c.client_key, submissions.c.created_at)

# Members of a community: remote (or local) actors, from an invitation link or an approved follower.
community_members = Table(
    "community_members",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("actor_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("via", String(16), nullable=False),  # invitation | follower | organiser (added by hand, not following)
    ts("created_at", nullable=False),
    UniqueConstraint("community_id", "actor_id", name="uq_community_members_pair"),
)

invitations = Table(
    "invitations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 hex; the link's token is never stored
    Column("created_by", String(64), nullable=True),
    Column("max_uses", Integer, nullable=True),
    Column("uses", Integer, nullable=False, default=0, server_default="0"),
    ts("created_at", nullable=False),
    ts("expires_at", nullable=True),
    ts("revoked_at", nullable=True),
)

# People banned from a community: their submissions are refused, they are removed from followers.
community_bans = Table(
    "community_bans",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("actor_id", Id, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("block_uri", String(2048), nullable=True),  # the Block we sent
    Column("created_by", String(64), nullable=True),
    ts("created_at", nullable=False),
    UniqueConstraint("community_id", "actor_id", name="uq_community_bans_pair"),
)

# Instance domain policies: suspend (refuse everything), silence (kept out of the feed and
# search), review (held for a moderator). Also read from Mastodon's domain-block CSV export.
domain_policies = Table(
    "domain_policies",
    metadata,
    Column("domain", String(255), primary_key=True),
    Column("severity", String(16), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("source", String(64), nullable=False, default="cli"),
    ts("created_at", nullable=False),
)

# The public moderation log: what moderators did (community_id null: the instance's admins).
moderation_log = Table(
    "moderation_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, ForeignKey("actors.id", ondelete="SET NULL"), nullable=True),
    Column("action", String(32), nullable=False),
    Column("target", String(2048), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("created_by", String(64), nullable=True),
    ts("created_at", nullable=False),
)
Index("ix_moderation_log_created", moderation_log.c.created_at, moderation_log.c.id)
