from web import convertors as _convertors  # noqa: F401  (registers the bounded int convertor first)
