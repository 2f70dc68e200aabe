"""``python -m web.cli``: the same as the ``yinhu`` command."""

from web.cli.entry import main

raise SystemExit(main())
