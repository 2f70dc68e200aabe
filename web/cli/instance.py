"""``yinhu init``, ``migrate``, ``serve``, ``worker``: the instance itself."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
from pathlib import Path
from typing import Any

from actors.storage.instance import Instance
from actors.storage.settings import Settings, load_settings, write_settings
from web.cli.common import CliError, _data, _with_instance


async def cmd_init(args: argparse.Namespace) -> int:
    from actors.social.local import initialise

    data = _data(args)
    if (data / "yinhu.toml").exists():
        raise CliError(f"{data} already holds a Yinhu instance (yinhu.toml exists); refusing to overwrite it")
    settings = Settings(url=args.url, data_dir=data, database_url=args.db or "", dev=args.dev)
    created_dir = not data.exists()
    data.mkdir(parents=True, exist_ok=True)
    sqlite_file = Path(settings.database_url.split("///", 1)[1]) if settings.database_url.startswith("sqlite") else None
    fresh_sqlite = sqlite_file is not None and not sqlite_file.exists()
    try:
        inst = await Instance.open(settings, check_schema=False)
        try:
            await initialise(inst)
        finally:
            await inst.close()
    except BaseException:
        # Leave nothing half-made behind: a later `yinhu init` must be able to start over.
        if fresh_sqlite and sqlite_file is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        if created_dir and not any(data.iterdir()):
            data.rmdir()
        raise
    (data / "media").mkdir(exist_ok=True)
    path = write_settings(settings)
    print(f"Initialised Yinhu at {settings.url}")
    print(f"  config:   {path}")
    print(f"  database: {settings.database_url.split('@')[-1]}")
    print(f"  feed actor: @yinhu@{settings.host}")
    print(f"Next: yinhu community create SLUG --name NAME --data {data}; then yinhu serve --data {data}")
    return 0


async def cmd_migrate(args: argparse.Namespace) -> int:
    from actors.storage import migrate

    settings = load_settings(_data(args))
    inst = await Instance.open(settings, check_schema=False)
    try:
        before = await migrate.current_revision(inst.engine)
        await migrate.upgrade(inst.engine)
        print(f"schema {before or 'empty'} → {migrate.head_revision()}")
        if before is not None and before < "0003":
            # The search index arrived in 0003: fill it for what the database already holds.
            from actors.feed.search import reindex_all

            print(f"indexed {await reindex_all(inst)} objects for search")
    finally:
        await inst.close()
    return 0




def freeze_startup_heap() -> None:
    """Move everything alive after start-up out of the garbage collector's sight.

    Modules, classes, compiled queries and templates live as long as the process. Left in the
    collected generations, each full collection walks all of them: 30-40 ms pauses that made
    the inbox's p99 latency 45-55 ms at 2,500 POST/s (bench/run.py). Frozen, p99 is ~17 ms.
    Only long-running processes call this; frozen objects are never freed.
    """
    gc.collect()
    gc.freeze()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app

    settings = load_settings(_data(args))
    app = create_app(settings, workers=not args.no_workers)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"Yinhu {settings.url} serving on http://{args.host}:{args.port} (Ctrl-C stops)", flush=True)
    freeze_startup_heap()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log,
                proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    return 0


async def cmd_worker(args: argparse.Namespace) -> int:
    import signal

    from web.workers import run_workers

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run(inst: Instance) -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"Yinhu workers for {inst.settings.url} running (Ctrl-C stops)", flush=True)
        freeze_startup_heap()
        await run_workers(inst, stop)
        return 0

    return await _with_instance(args, run)


def add_instance_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("init", parents=[common], help="create a new instance (config, database, instance actor)")
    s.add_argument("--url", required=True, help="public base URL, e.g. https://yinhu.example (https unless --dev)")
    s.add_argument("--db", metavar="DATABASE_URL", help="database URL (default: SQLite in the data directory; "
                   "PostgreSQL: postgresql+asyncpg://user@host/db)")
    s.add_argument("--dev", action="store_true", help="development mode: allow http and private/loopback peers")
    s.set_defaults(run=cmd_init)

    s = sub.add_parser("migrate", parents=[common], help="upgrade the database schema to this version")
    s.set_defaults(run=cmd_migrate)

    s = sub.add_parser("serve", parents=[common], help="serve the web app with the workers inside it")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--no-workers", action="store_true", help="run no queue workers here (use `yinhu worker`)")
    s.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    s.add_argument("--access-log", action="store_true", help="log every request")
    s.set_defaults(run=cmd_serve)

    s = sub.add_parser("worker", parents=[common], help="run only the inbox and delivery workers")
    s.set_defaults(run=cmd_worker)
