"""Instance domain policies: set, lift, import (Mastodon's CSV), and what a change does.

Setting or lifting a policy re-marks what is already stored, so that the feed's one public
predicate needs no join: objects of a silenced or suspended domain are ``withheld``
(``actors.social.visibility``), restored when the policy goes. A suspension also ends the
follows between this instance and the domain's actors (as Mastodon severs them) and gives up
deliveries queued for it. Items held from a domain under review wait in the inbox queue
(state ``held``) until a moderator releases or discards them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.social.moderation import log
from actors.social.visibility import object_mark, restored, vouched_marks, withheld
from actors.storage.domains import (
    SEVERITIES,
    SILENCE,
    SUSPEND,
    covering,
    host_of,
    invalidate,
    stricter,
)
from actors.storage.instance import Instance
from actors.storage.models import (
    DeliveryState,
    FollowState,
    InboxState,
    actors,
    deliveries,
    domain_policies,
    follows,
    inbox_items,
    objects,
    submissions,
)

__all__ = [
    "DomainError",
    "Held",
    "ImportReport",
    "Policy",
    "block",
    "discard_held",
    "import_csv",
    "list_held",
    "list_policies",
    "normalise_domain",
    "release_held",
    "unblock",
]

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class DomainError(ValueError):
    """A domain or severity a moderator gave cannot be used; the message is for them."""


@dataclass(frozen=True)
class Policy:
    domain: str
    severity: str
    reason: str
    source: str


def normalise_domain(text: str) -> str:
    """``Example.COM``, ``*.example.com``, ``https://example.com/x`` → ``example.com`` (IDNA as
    punycode); raises ``DomainError`` for anything that is not a host name (an obfuscated
    ``ex*mple.com`` from a CSV export included)."""
    raw = text.strip()
    host = host_of(raw).removeprefix("*.").removeprefix(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise DomainError(f"{raw[:80]!r} is not a domain") from exc
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise DomainError(f"{raw[:80]!r} is not a domain")
    return host


def _check_severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise DomainError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    return severity


async def _table(conn: AsyncConnection) -> dict[str, str]:
    return {r.domain: r.severity for r in await conn.execute(select(domain_policies.c.domain, domain_policies.c.severity))}


def _covered(domain: str) -> Any:
    """Rows whose host may fall under ``domain`` (refined in Python by ``covering``)."""
    return or_(objects.c.uri.contains(f"//{domain}"), objects.c.uri.contains(f".{domain}"))


async def _remark_objects(conn: AsyncConnection, domain: str) -> int:
    """Withhold or restore the stored objects ``domain``'s policies now cover. A silence leaves
    shown the version of a post a moderator approved (``vouched``)."""
    table = await _table(conn)
    found = await conn.execute(
        select(objects.c.id, objects.c.uri, objects.c.visibility, objects.c.content, objects.c.name,
               submissions.c.vouched_mark)
        .select_from(vouched_marks())
        .where(objects.c.local.is_(False), _covered(domain))
    )
    rows: dict[int, Any] = {}
    approved: set[int] = set()
    for r in found.all():
        host = host_of(r.uri)
        if host != domain and not host.endswith("." + domain):
            continue
        rows[r.id] = r
        if r.vouched_mark is not None and r.vouched_mark == object_mark(r.content, r.name):
            approved.add(r.id)
    changed = 0
    for row in rows.values():
        severity = covering(table, host_of(row.uri))
        hide = severity == SUSPEND or (severity == SILENCE and row.id not in approved)
        new = withheld(row.visibility) if hide else restored(row.visibility)
        if new != (row.visibility or ""):
            await conn.execute(update(objects).where(objects.c.id == row.id).values(visibility=new))
            changed += 1
    return changed


async def _sever(conn: AsyncConnection, inst: Instance, domain: str) -> None:
    """A suspension: follows both ways end, deliveries queued for the domain are given up."""
    covered = or_(actors.c.domain == domain, actors.c.domain.endswith("." + domain))
    ids = select(actors.c.id).where(actors.c.local.is_(False), covered)
    await conn.execute(
        update(follows).where(or_(follows.c.follower_id.in_(ids), follows.c.followed_id.in_(ids)))
        .values(state=FollowState.REJECTED.value, updated_at=inst.clock())
    )
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.state == DeliveryState.PENDING.value,
               or_(deliveries.c.host == domain, deliveries.c.host.endswith("." + domain)))
        .values(state=DeliveryState.DEAD.value, last_error="domain suspended", lease_until=None, lease_token=None)
    )


async def _apply(
    conn: AsyncConnection, inst: Instance, domain: str, severity: str, reason: str, source: str,
) -> str:
    """Write one policy and its consequences; returns added / changed / unchanged."""
    old = (await conn.execute(select(domain_policies).where(domain_policies.c.domain == domain))).first()
    if old is not None and old.severity == severity and old.reason == reason:
        return "unchanged"
    if old is None:
        await conn.execute(insert(domain_policies).values(
            domain=domain, severity=severity, reason=reason, source=source, created_at=inst.clock()))
    else:
        await conn.execute(update(domain_policies).where(domain_policies.c.domain == domain)
                           .values(severity=severity, reason=reason, source=source))
    if old is None or old.severity != severity:
        await _remark_objects(conn, domain)
        if severity == SUSPEND:
            await _sever(conn, inst, domain)
        await log(conn, inst, f"domain_{severity}", domain, reason, by=source)
    return "added" if old is None else "changed"


async def block(inst: Instance, domain: str, severity: str, reason: str = "", *, by: str = "cli") -> str:
    """``yinhu domain block``: set (or change) the policy; returns added / changed / unchanged."""
    name, severity = normalise_domain(domain), _check_severity(severity)
    async with inst.engine.begin() as conn:
        what = await _apply(conn, inst, name, severity, reason.strip(), by)
    invalidate(inst)
    return what


async def unblock(inst: Instance, domain: str, *, by: str = "cli") -> bool:
    """Lift a domain's policy (a parent domain's policy still covers it)."""
    name = normalise_domain(domain)
    async with inst.engine.begin() as conn:
        gone = (await conn.execute(delete(domain_policies).where(domain_policies.c.domain == name))).rowcount
        if gone:
            await _remark_objects(conn, name)
            await log(conn, inst, "domain_unblock", name, "", by=by)
    invalidate(inst)
    return bool(gone)


async def list_policies(inst: Instance) -> list[Policy]:
    async with inst.engine.connect() as conn:
        rows = await conn.execute(select(domain_policies).order_by(domain_policies.c.domain))
        return [Policy(r.domain, r.severity, r.reason, r.source) for r in rows]


# --- Mastodon's domain-block CSV ----------------------------------------------------------------


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "domain: why"
    errors: list[str] = field(default_factory=list)  # "line N: why"


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line, {domain, severity, public_comment}) per data row; the headerless form (one domain
    a line, Mastodon's older export of suspensions) reads as suspend."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header: list[str] | None = None
    out: list[tuple[int, dict[str, str]]] = []
    for cells in reader:
        line = reader.line_num
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if header is None and cells[0].lstrip("#").lower() == "domain":
            header = [c.lstrip("#").lower() for c in cells]
            continue
        if cells[0].startswith("#"):  # a comment
            continue
        if header is None:
            out.append((line, {"domain": cells[0], "severity": SUSPEND, "public_comment": ""}))
        else:
            out.append((line, dict(zip(header, cells, strict=False))))
    return out


async def import_csv(inst: Instance, text: str, *, source: str = "import") -> ImportReport:
    """Merge a Mastodon domain-block export: a stricter (or equal) decision already here is kept,
    ``noop`` rows change nothing, a bad row is reported by its line and the rest go on."""
    report = ImportReport()
    async with inst.engine.begin() as conn:
        for line, row in _rows(text):
            try:
                domain = normalise_domain(row.get("domain", ""))
            except DomainError as exc:
                report.errors.append(f"line {line}: {exc}")
                continue
            severity = (row.get("severity") or SUSPEND).lower()
            if severity == "noop":
                report.skipped.append(f"{domain}: noop")
                continue
            if severity not in (SILENCE, SUSPEND):
                report.errors.append(f"line {line}: unknown severity {severity[:40]!r}")
                continue
            current = (await _table(conn)).get(domain)
            if current is not None and not stricter(severity, current):
                report.skipped.append(f"{domain}: already {current}")
                continue
            what = await _apply(conn, inst, domain, severity, (row.get("public_comment") or "")[:2000], source)
            (report.added if what == "added" else report.changed).append(f"{domain}: {severity}")
    invalidate(inst)
    return report


# --- held items (review) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    id: int
    activity_type: str
    signer: str
    received_at: Any


def _from(domain: str, uri: str) -> bool:
    host = host_of(uri)
    return host == domain or host.endswith("." + domain)


async def _held(conn: AsyncConnection, ids: Sequence[int] = (), domain: str | None = None) -> list[Held]:
    """Held items, by id or by the domain of their sender (subdomains included)."""
    cond = [inbox_items.c.state == InboxState.HELD.value]
    if ids:
        cond.append(inbox_items.c.id.in_(list(ids)))
    if domain:
        cond.append(or_(inbox_items.c.signer.contains(f"//{domain}"), inbox_items.c.signer.contains(f".{domain}")))
    rows = await conn.execute(
        select(inbox_items.c.id, inbox_items.c.activity_type, inbox_items.c.signer, inbox_items.c.received_at)
        .where(*cond).order_by(inbox_items.c.id)
    )
    return [Held(*r) for r in rows if domain is None or _from(domain, r.signer)]


async def list_held(inst: Instance, domain: str | None = None) -> list[Held]:
    async with inst.engine.connect() as conn:
        return await _held(conn, domain=normalise_domain(domain) if domain else None)


async def _decide_held(inst: Instance, ids: Sequence[int], domain: str | None, values: dict[str, Any]) -> int:
    if not ids and not domain:
        raise DomainError("give item ids or a domain")
    async with inst.engine.begin() as conn:
        found = [h.id for h in await _held(conn, ids, normalise_domain(domain) if domain else None)]
        if found:
            await conn.execute(update(inbox_items).where(inbox_items.c.id.in_(found)).values(**values))
    return len(found)


async def release_held(inst: Instance, ids: Sequence[int] = (), domain: str | None = None) -> int:
    """Release held items into processing (the inbox worker takes them at its next poll)."""
    count = await _decide_held(inst, ids, domain, {"state": InboxState.PENDING.value, "lease_until": None})
    inst.inbox_wakeup.set()
    return count


async def discard_held(inst: Instance, ids: Sequence[int] = (), domain: str | None = None) -> int:
    """Discard held items: kept as ignored (their ids still deduplicate), bodies dropped."""
    return await _decide_held(inst, ids, domain, {
        "state": InboxState.IGNORED.value, "body": "", "result": "discarded by a moderator",
        "processed_at": inst.clock(),
    })
