"""Venues as events' places: the venues an organiser can choose for an event's place, and the
upcoming events held at a venue.

An event is held at a venue when its place has the venue's name and, where both carry
coordinates, lies within ``SAME_PLACE_KM`` of it. The match needs no link stored on either
side, so it holds for events from other instances (Mobilizon, Gancio, another Yinhu) too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed.feed import haversine_km
from actors.social.visibility import publicly_visible
from actors.storage.models import objects

__all__ = ["SAME_PLACE_KM", "VenueChoice", "events_at", "venue_choices", "venue_place"]

SAME_PLACE_KM = 0.2
MAX_CHOICES = 300


@dataclass(frozen=True)
class VenueChoice:
    id: int
    name: str
    address: str
    latitude: float | None
    longitude: float | None

    @property
    def label(self) -> str:
        return f"{self.name} · {self.address}" if self.address and self.address != self.name else self.name


def _choice(r: Any) -> VenueChoice:
    return VenueChoice(r.id, r.name or r.place_name or "", r.address or "", r.latitude, r.longitude)


async def venue_choices(conn: AsyncConnection) -> list[VenueChoice]:
    """The network's venues (publicly visible, local and followed), by name."""
    rows = await conn.execute(
        select(objects.c.id, objects.c.name, objects.c.place_name, objects.c.address, objects.c.latitude,
               objects.c.longitude)
        .where(objects.c.kind == "venue", publicly_visible())
        .order_by(objects.c.name, objects.c.id)
        .limit(MAX_CHOICES)
    )
    return [_choice(r) for r in rows]


async def venue_place(conn: AsyncConnection, venue_id: int) -> VenueChoice | None:
    """One venue, when it is publicly visible: what an event placed there takes as its place."""
    row = (await conn.execute(
        select(objects.c.id, objects.c.name, objects.c.place_name, objects.c.address, objects.c.latitude,
               objects.c.longitude)
        .where(objects.c.id == venue_id, objects.c.kind == "venue", publicly_visible())
    )).first()
    return _choice(row) if row is not None else None


async def events_at(conn: AsyncConnection, venue: Any, now: datetime, *, limit: int = 10) -> list[Any]:
    """Upcoming (or still running) public events held at ``venue`` (a row of objects), soonest first."""
    name = venue.name or venue.place_name
    if not name:
        return []
    rows = await conn.execute(
        select(objects.c.id, objects.c.uri, objects.c.name, objects.c.start_time, objects.c.end_time,
               objects.c.timezone, objects.c.latitude, objects.c.longitude)
        .where(objects.c.kind == "event", publicly_visible(), objects.c.place_name == name,
               func.coalesce(objects.c.end_time, objects.c.start_time) >= now)
        .order_by(objects.c.start_time, objects.c.id)
        .limit(limit * 4)
    )
    held = []
    for r in rows:
        both = None not in (r.latitude, r.longitude, venue.latitude, venue.longitude)
        if both and haversine_km(r.latitude, r.longitude, venue.latitude, venue.longitude) > SAME_PLACE_KM:
            continue  # a place of the same name elsewhere
        held.append(r)
    return held[:limit]
