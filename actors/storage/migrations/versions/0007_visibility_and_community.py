"""objects.visibility (public, unlisted, followers, direct) and objects.community_id

Create Date: 2026-12-06

Existing rows: local objects are public and belong to their own community; a remote object's
visibility is read from its stored JSON (``to``/``cc``), its community is the community here
named by its ``audience`` or ``attributedTo``, else its stored actor as the feed showed it
before (the public filter still hides it unless that actor is a community here).
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'

PUBLIC = {'https://www.w3.org/ns/activitystreams#Public', 'as:Public', 'Public'}


def _ids(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get('id'), str):
            out.append(item['id'])
    return out


def _visibility(raw: str) -> str:
    try:
        doc = json.loads(raw)
    except ValueError:
        return 'direct'
    if not isinstance(doc, dict):
        return 'direct'
    to, cc = _ids(doc.get('to')), _ids(doc.get('cc'))
    if PUBLIC & set(to):
        return 'public'
    if PUBLIC & set(cc):
        return 'unlisted'
    if any(a.endswith('/followers') or '/followers/' in a for a in to + cc):
        return 'followers'
    return 'direct'


def upgrade() -> None:
    # Plain ADD COLUMN, no foreign key: SQLite can add neither a constraint nor drop a column
    # that has one without copying the table (which would lose the expression index).
    op.add_column('objects', sa.Column('visibility', sa.String(length=16), nullable=True))
    op.add_column('objects', sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                       nullable=True))
    op.create_index('ix_objects_community_id', 'objects', ['community_id'])
    conn = op.get_bind()
    objects = sa.table('objects', sa.column('id'), sa.column('local'), sa.column('raw'), sa.column('actor_id'),
                       sa.column('visibility'), sa.column('community_id'))
    actors = sa.table('actors', sa.column('id'), sa.column('uri'), sa.column('local'), sa.column('type'))
    follows = sa.table('follows', sa.column('follower_id'), sa.column('followed_id'), sa.column('state'))
    conn.execute(objects.update().where(objects.c.local == sa.true())
                 .values(visibility='public', community_id=objects.c.actor_id))
    # The communities here now (local Groups, actors followed with an accepted follow).
    local_ids = {r.id for r in conn.execute(sa.select(actors.c.id).where(actors.c.local == sa.true()))}
    here = {r.id for r in conn.execute(sa.select(actors.c.id).where(actors.c.local == sa.true(),
                                                                     actors.c.type == 'Group'))}
    here |= {r.followed_id for r in conn.execute(sa.select(follows.c.follower_id, follows.c.followed_id)
                                                 .where(follows.c.state == 'accepted'))
             if r.follower_id in local_ids}
    ids_by_uri = {r.uri: r.id for r in conn.execute(sa.select(actors.c.uri, actors.c.id).where(actors.c.id.in_(here)))}
    for row in conn.execute(sa.select(objects.c.id, objects.c.raw, objects.c.actor_id)
                            .where(objects.c.local == sa.false())).all():
        conn.execute(objects.update().where(objects.c.id == row.id)
                     .values(visibility=_visibility(row.raw), community_id=_community(row.raw, ids_by_uri, row.actor_id)))


def _community(raw: str, ids_by_uri: dict[str, int], actor_id: int) -> int:
    """The community named by audience, else by attributedTo, else the stored actor (as the
    feed showed it before)."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return actor_id
    if isinstance(doc, dict):
        for uri in _ids(doc.get('audience')) + _ids(doc.get('attributedTo')):
            if uri in ids_by_uri:
                return ids_by_uri[uri]
    return actor_id


def downgrade() -> None:
    op.drop_index('ix_objects_community_id', table_name='objects')
    op.drop_column('objects', 'community_id')
    op.drop_column('objects', 'visibility')
