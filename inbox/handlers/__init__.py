"""One small module per activity; importing this package registers them all."""

from inbox.handlers import accept, announce, attend, create, delete, follow, join, reactions, undo  # noqa: F401

__all__: list[str] = []
