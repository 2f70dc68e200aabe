"""Test doubles for federation tests: a host router for one shared httpx client, a settable
clock and fake remote fediverse servers (Starlette apps in this process)."""
