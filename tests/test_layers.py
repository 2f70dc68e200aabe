"""Imports point down only: fedi ← actors ← inbox ← web, and inside actors
storage ← queues ← social ← feed ← publishing.

Every module of the four packages is parsed (not imported) and every ``import`` statement in
it, at any depth (inside functions, ``if TYPE_CHECKING:`` blocks, try/except), is checked:
a package may import itself and the packages below it, never one above. The same holds for
the subpackages of actors, and every module of actors lives in one of them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("fedi", "actors", "inbox", "web")  # lowest first
RANK = {name: i for i, name in enumerate(LAYERS)}
ACTORS_LAYERS = ("storage", "queues", "social", "feed", "publishing")  # lowest first
ACTORS_RANK = {name: i for i, name in enumerate(ACTORS_LAYERS)}


def modules() -> list[Path]:
    return sorted(p for layer in LAYERS for p in (ROOT / layer).rglob("*.py"))


def imported_packages(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """(line, top-level package) for every import in the tree; relative ones stay in ``package``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: within the same top-level package
                found.append((node.lineno, package))
            elif node.module:
                found.append((node.lineno, node.module.split(".")[0]))
        elif (
            # importlib.import_module("web.app") and friends
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value.split(".")[0]))
    return found


def violations(path: Path) -> list[str]:
    package = path.relative_to(ROOT).parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{line}: {package} imports {target}"
        for line, target in imported_packages(tree, package)
        if target in RANK and RANK[target] > RANK[package]
    ]


def test_every_layer_has_modules() -> None:
    for layer in LAYERS:
        assert list((ROOT / layer).rglob("*.py")), f"no modules found in {layer}/"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    assert violations(path) == []


def test_the_check_catches_upward_imports() -> None:
    source = "import os\n\ndef f():\n    from web.app import create_app\n    import inbox.dispatch\n"
    found = imported_packages(ast.parse(source), "actors")
    assert (4, "web") in found and (5, "inbox") in found
    assert [t for _, t in found if t in RANK and RANK[t] > RANK["actors"]] == ["web", "inbox"]


def actors_imports(tree: ast.AST, sub: str) -> list[tuple[int, str]]:
    """(line, actors subpackage) for every import of actors code in a module of ``actors/<sub>/``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            dotted = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: ``from .x`` stays in ``sub``, ``from ..feed`` leaves it
                if node.level == 1:
                    found.append((node.lineno, sub))
                    continue
                dotted = [f"actors.{node.module}" if node.module else "actors"]
            else:
                dotted = [node.module or ""]
            if dotted == ["actors"]:  # from actors import feed
                dotted = [f"actors.{alias.name}" for alias in node.names]
        else:
            continue
        for name in dotted:
            parts = name.split(".")
            if parts[0] == "actors" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def actors_violations(path: Path) -> list[str]:
    sub = path.relative_to(ROOT / "actors").parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{line}: actors.{sub} imports actors.{target}"
        for line, target in actors_imports(tree, sub)
        if target not in ACTORS_RANK or ACTORS_RANK[target] > ACTORS_RANK[sub]
    ]


# Alembic loads the revision scripts by path when migrating (no module imports them); a data
# migration may run the code whose data it rewrites (0010 reindexes listings with actors.feed.search).
MIGRATION_SCRIPTS = ROOT / "actors" / "storage" / "migrations" / "versions"


def actors_modules() -> list[Path]:
    return sorted(
        p
        for p in (ROOT / "actors").rglob("*.py")
        if p.parent != ROOT / "actors" and MIGRATION_SCRIPTS not in p.parents
    )


def test_actors_code_lives_in_its_layers() -> None:
    assert [p.name for p in (ROOT / "actors").glob("*.py")] == ["__init__.py"]
    assert sorted(p.name for p in (ROOT / "actors").iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(
        ACTORS_LAYERS
    )


@pytest.mark.parametrize("path", actors_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_actors_imports_point_down(path: Path) -> None:
    assert actors_violations(path) == []


def test_the_actors_check_catches_upward_imports() -> None:
    source = (
        "from actors.storage.models import objects\n"
        "from actors import feed\n"
        "def f():\n    import actors.publishing.media\n"
        "from ..social import follows\n"
        "from .delivery import enqueue\n"
    )
    found = actors_imports(ast.parse(source), "queues")
    assert sorted(found) == [(1, "storage"), (2, "feed"), (4, "publishing"), (5, "social"), (6, "queues")]
    upward = [t for _, t in found if ACTORS_RANK[t] > ACTORS_RANK["queues"]]
    assert sorted(upward) == ["feed", "publishing", "social"]


def import_graph(package: str) -> dict[str, set[str]]:
    """Module → the modules of ``package`` (dotted) it imports (absolute or relative, at any depth)."""
    folder = ROOT.joinpath(*package.split("."))
    paths = {p: ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in folder.rglob("*.py")}
    names = {name.removesuffix(".__init__") for name in paths.values()}
    graph: dict[str, set[str]] = {}
    for path, dotted in paths.items():
        name = dotted.removesuffix(".__init__")
        package = name if dotted.endswith(".__init__") else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(parent + ([node.module] if node.module else []))
                targets.add(base)
                targets.update(f"{base}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in names and t != name}
    return graph


def import_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of the graph (its modules in order), or [] when there is none."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_no_import_circle_inside_fedi() -> None:
    graph = import_graph("fedi")
    assert "fedi.content.events" in graph["fedi.content"]  # relative imports are resolved
    assert import_cycle(graph) == []


def test_the_circle_check_finds_circles() -> None:
    assert import_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert import_cycle({"a": {"b"}, "b": set()}) == []


def test_the_cli_has_no_import_circle() -> None:
    graph = import_graph("web.cli")
    assert {"web.cli.entry", "web.cli.common", "web.cli.demo.command"} <= set(graph)
    assert import_cycle(graph) == []
