"""An image upload does not hold up the server: ``/healthz`` answers at once throughout."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from PIL import Image

from tests.e2e.conftest import Yinhu


def test_healthz_answers_at_once_while_a_large_image_is_processed(make_instance: Callable[[str], Yinhu]) -> None:
    a = make_instance("a")
    a.cli("community", "create", "club", "--name", "Club")
    a.cli("account", "create", "org", "--community", "club", "--no-password")
    token = a.cli("token", "create", "org").stdout.strip().splitlines()[-1].split()[-1]
    a.start()
    png = io.BytesIO()
    Image.new("RGB", (5000, 5000), (20, 160, 90)).save(png, "PNG")  # 25 megapixels, seconds of CPU
    waits: list[float] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=a.url, timeout=30) as client:
            while not done.is_set():
                start = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                waits.append(time.perf_counter() - start)
                time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        started = time.perf_counter()
        resp = httpx.post(
            f"{a.url}/api/v1/communities/club/media", files={"file": ("big.png", png.getvalue(), "image/png")},
            headers={"Authorization": f"Bearer {token}"}, timeout=120,
        )
        took = time.perf_counter() - started
    finally:
        done.set()
        prober.join()
    assert resp.status_code in (200, 201), resp.text
    assert (resp.json()["width"], resp.json()["height"]) == (5000, 5000)
    waits.sort()
    print(f"upload {took:.2f} s; /healthz: {len(waits)} requests, median {waits[len(waits) // 2] * 1000:.0f} ms, "
          f"max {waits[-1] * 1000:.0f} ms")
    assert len(waits) >= 5
    # ~100 ms is the aim (measured: 122 ms max, 2 ms median at load average 13 on 2 cores); the
    # bound leaves room for a loaded CI machine, and is still far below the seconds the upload
    # takes, which is what every request waited when the image was processed on the event loop.
    assert waits[-1] < min(0.5, took / 3)
    # Stopped as an operator stops it (SIGTERM), the server takes its image processes with it.
    server = a.servers[-1].proc
    children = _children(server.pid)
    assert children, "the upload ran in the image processes"
    a.stop()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)], "image processes outlived the server"


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc: Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
