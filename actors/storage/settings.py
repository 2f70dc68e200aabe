"""Instance settings: one typed object, read from the data directory and YINHU_* variables.

Nothing reads configuration at import time. ``yinhu init`` writes ``yinhu.toml`` into the data
directory; ``load_settings`` reads it back and lets ``YINHU_*`` environment variables override
single keys (handy for containers). Tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["CONFIG_NAME", "ConfigError", "Settings", "default_data_dir", "load_settings", "write_settings"]

CONFIG_NAME = "yinhu.toml"


class ConfigError(Exception):
    """The configuration is missing or wrong; the message is one line for the user."""


@dataclass(frozen=True)
class Settings:
    url: str
    data_dir: Path = Path("yinhu-data")
    database_url: str = ""
    dev: bool = False  # http allowed; fetch from and deliver to private/loopback addresses
    instance_name: str = "银湖 Yinhu"
    description: str = "银湖社区网络 — a Yinhu community instance"
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    max_body_bytes: int = 1_000_000
    open_registrations: bool = False
    # Queue leases (deliveries, inbox items): renewed while work is in flight, so this is how
    # long a killed worker's rows wait before another worker takes them.
    queue_lease_seconds: int = 30
    # Processed inbox rows (kept for deduplication, bodies already dropped) are deleted after this.
    inbox_retention_days: int = 14
    # Inbox requests accepted per minute from one signer and from one host; more get 429.
    inbox_rate_per_actor: int = 300
    inbox_rate_per_host: int = 1200
    # Deliveries one worker works on at once; a send still waiting for its answer after a
    # second is parked and does not count (actors.queues.delivery). Raise it where inboxes are
    # far away (each send then holds its slot longer) and the CPU has room.
    delivery_concurrency: int = 64

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("int", int) and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"{f.name} must be a whole number of at least 1, not {value!r}")
        object.__setattr__(self, "url", normalise_url(self.url, dev=self.dev))
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if not self.database_url:
            db = (self.data_dir / "yinhu.sqlite3").resolve()
            object.__setattr__(self, "database_url", f"sqlite+aiosqlite:///{db}")

    @property
    def host(self) -> str:
        """The authority part of the base URL (with a port if it has one): the WebFinger domain."""
        return urlsplit(self.url).netloc

    @property
    def allow_private(self) -> bool:
        return self.dev


def normalise_url(url: str, *, dev: bool) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"--url must be an absolute http(s) URL such as https://yinhu.example, not {url!r}")
    if parts.scheme != "https" and not dev:
        raise ConfigError(f"--url must use https ({url}); pass --dev for local http development")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"--url must be the bare origin without a path ({url})")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def default_data_dir() -> Path:
    return Path(os.environ.get("YINHU_DATA", "yinhu-data"))


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def write_settings(settings: Settings) -> Path:
    path = settings.data_dir / CONFIG_NAME
    lines = ["# Yinhu instance configuration, written by `yinhu init`."]
    default_db = Settings(url=settings.url, dev=settings.dev, data_dir=settings.data_dir).database_url
    for f in fields(settings):
        if f.name == "data_dir":
            continue
        if f.name == "database_url" and settings.database_url == default_db:
            # The embedded default follows the data directory if it moves.
            lines.append('database_url = ""')
            continue
        lines.append(f"{f.name} = {_toml_value(getattr(settings, f.name))}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)  # it holds the secret key
    return path


def load_settings(data_dir: Path | None = None) -> Settings:
    data_dir = data_dir or default_data_dir()
    path = data_dir / CONFIG_NAME
    if not path.exists():
        raise ConfigError(f"no Yinhu instance in {data_dir} (run `yinhu init --url URL --data {data_dir}` first)")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, object] = {k: v for k, v in raw.items() if k in known and k != "data_dir"}
    for name, f in known.items():
        env = os.environ.get(f"YINHU_{name.upper()}")
        if env is None or name == "data_dir":
            continue
        if f.type in ("bool", bool):
            values[name] = env.lower() in ("1", "true", "yes", "on")
        elif f.type in ("int", int):
            try:
                values[name] = int(env)
            except ValueError:
                raise ConfigError(f"YINHU_{name.upper()} must be a whole number, not {env!r}") from None
        else:
            values[name] = env
    if "url" not in values:
        raise ConfigError(f"{path} has no url")
    settings = Settings(data_dir=data_dir, **values)  # type: ignore[arg-type]
    return replace(settings)
