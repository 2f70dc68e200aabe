"""What every table declaration shares: the one ``MetaData`` (with its naming convention),
timestamps that always come back in UTC, and the id type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData
from sqlalchemy.types import TypeDecorator

__all__ = ["Id", "UTCDateTime", "metadata", "ts"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware, on SQLite too
    (whose DATETIME has no zone and would otherwise return naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# BigInteger primary keys that are still autoincrement on SQLite (which wants INTEGER).
Id = BigInteger().with_variant(Integer(), "sqlite")


def ts(name: str, **kw: object) -> Column[object]:
    return Column(name, UTCDateTime(), **kw)  # type: ignore[arg-type]
