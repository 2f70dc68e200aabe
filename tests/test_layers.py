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


def fedi_import_graph() -> dict[str, set[str]]:
    """Module → the fedi modules it imports (absolute or relative, at any depth)."""
    paths = {p: ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "fedi").rglob("*.py")}
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
    graph = fedi_import_graph()
    assert "fedi.content.events" in graph["fedi.content"]  # relative imports are resolved
    assert import_cycle(graph) == []


def test_the_circle_check_finds_circles() -> None:
    assert import_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert import_cycle({"a": {"b"}, "b": set()}) == []
