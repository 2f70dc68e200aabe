"""Imports point down only: fedi ← actors ← inbox ← web.

Every module of the four packages is parsed (not imported) and every ``import`` statement in
it, at any depth (inside functions, ``if TYPE_CHECKING:`` blocks, try/except), is checked:
a package may import itself and the packages below it, never one above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("fedi", "actors", "inbox", "web")  # lowest first
RANK = {name: i for i, name in enumerate(LAYERS)}


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


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def import_graph(package: str) -> dict[str, set[str]]:
    """Which modules of ``package`` (dotted) each of its modules imports, at any depth."""
    folder = ROOT.joinpath(*package.split("."))
    names = {module_name(p) for p in folder.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[module_name(path)] = (found & names) - {module_name(path)}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import path that comes back to where it started, as [a, b, ..., a]."""
    found: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(name, ())):
            if nxt == path[0]:
                found.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:  # each circle once, from its smallest name
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    return found


def test_the_cli_has_no_import_circle() -> None:
    graph = import_graph("web.cli")
    assert {"web.cli.entry", "web.cli.common", "web.cli.demo.command"} <= set(graph)
    assert circles(graph) == []


def test_the_circle_check_finds_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c", "a"]]
    assert circles({"a": {"b"}, "b": set()}) == []
