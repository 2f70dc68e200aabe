"""The ``yinhu`` command line, one module per command group.

Every command takes ``--data DIR`` (default ``./yinhu-data`` or ``$YINHU_DATA``), prints what
it did, and on bad input exits non-zero with a one-line reason on stderr.

``common`` holds what every group shares (errors, the data directory, opening the instance);
the groups are ``instance``, ``communities``, ``content``, ``accounts``, ``federation``,
``search`` and the ``demo`` package; ``entry`` builds the parser from them and ``main`` runs a command.
Groups import ``common`` (and the demo imports ``content``), never ``entry`` or each other
otherwise, so there is no import circle.
"""

from web.cli.entry import build_parser, main
from web.cli.instance import freeze_startup_heap

__all__ = ["build_parser", "freeze_startup_heap", "main"]
