"""Instance settings read from ``yinhu.toml`` and ``YINHU_*``: numbers are checked when they are
read (a clear ``ConfigError``, never a traceback later), and ``delivery_concurrency`` reaches
the delivery worker."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from actors.storage.instance import Instance
from actors.storage.settings import ConfigError, Settings, load_settings, write_settings
from tests.conftest import Fediverse
from web.workers import delivery_worker_for


def _instance(tmp_path: Path, **values: object) -> Path:
    write_settings(Settings(url="https://yinhu.example", data_dir=tmp_path, **values))  # type: ignore[arg-type]
    return tmp_path


def test_numbers_from_the_environment_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _instance(tmp_path)
    monkeypatch.setenv("YINHU_DELIVERY_CONCURRENCY", "many")
    with pytest.raises(ConfigError, match="YINHU_DELIVERY_CONCURRENCY must be a whole number, not 'many'"):
        load_settings(data)
    monkeypatch.setenv("YINHU_DELIVERY_CONCURRENCY", "0")
    with pytest.raises(ConfigError, match="delivery_concurrency must be a whole number of at least 1, not 0"):
        load_settings(data)
    monkeypatch.setenv("YINHU_DELIVERY_CONCURRENCY", "128")
    assert load_settings(data).delivery_concurrency == 128


def test_numbers_in_the_file_are_checked(tmp_path: Path) -> None:
    data = _instance(tmp_path)
    config = data / "yinhu.toml"
    text = config.read_text(encoding="utf-8")
    for bad, shown in (('"30"', "'30'"), ("true", "True"), ("-5", "-5"), ("2.5", "2.5")):
        config.write_text(text.replace("queue_lease_seconds = 30", f"queue_lease_seconds = {bad}"), encoding="utf-8")
        with pytest.raises(ConfigError, match=f"queue_lease_seconds must be a whole number of at least 1, not {shown}"):
            load_settings(data)
    config.write_text(text.replace("delivery_concurrency = 64", "delivery_concurrency = 200"), encoding="utf-8")
    assert load_settings(data).delivery_concurrency == 200


async def test_the_delivery_worker_takes_its_concurrency_and_lease_from_the_settings(fed: Fediverse) -> None:
    node = await fed.yinhu("a.test")
    inst = Instance(dataclasses.replace(node.inst.settings, delivery_concurrency=8, queue_lease_seconds=12),
                    engine=node.inst.engine, client=node.inst.client, clock=node.inst.clock)
    worker = delivery_worker_for(inst)
    assert (worker.concurrency, worker.max_open, worker.lease) == (8, 32, timedelta(seconds=12))
