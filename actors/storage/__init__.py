"""Settings, the ``Instance`` (engine, clock, caches), tables, migrations and stored text forms."""
