"""The package's modules import each other without a circle: each module's top-level
imports (what runs when it loads; not those inside functions or under TYPE_CHECKING)
form a graph with no cycle, so any module can be imported first and on its own."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "m2m_reader"


def module_names() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its __init__)."""
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module loads: at module level, also inside `if`, `try`
    and `with` blocks there, but not under `if TYPE_CHECKING:` nor in functions/classes."""
    out: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            out.append(node)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                todo.extend(node.body)
            todo.extend(node.orelse)
        elif isinstance(node, ast.Try):
            todo.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                todo.extend(handler.body)
        elif isinstance(node, ast.With):
            todo.extend(node.body)
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the package's modules it imports at load time."""
    modules = module_names()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        for node in _top_level_imports(ast.parse(path.read_text("utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = here[: len(here) - node.level + 1]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                # `from package import module` loads that module; a package this module
                # is inside is loading already, so only the names it defines count
                inside = name.startswith(origin + ".")
                for alias in node.names:
                    if f"{origin}.{alias.name}" in modules:
                        targets.append(f"{origin}.{alias.name}")
                        if not inside:
                            targets.append(origin)
                    else:
                        targets.append(origin)
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules (Tarjan), each as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_path_within(graph, group) for group in groups]


def _path_within(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A circle through the group's first module: a → b → ... → a."""
    members, start = set(group), group[0]
    paths = {start: [start]}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                todo.append(w)
    return group


def test_the_graph_sees_the_imports_of_a_known_module() -> None:
    graph = import_graph()
    assert "m2m_reader.engine.core.errors" in graph["m2m_reader.engine.core.offline"]
    assert "m2m_reader.engine.core.offline" in graph["m2m_reader.runtime"]
    assert "m2m_reader.runtime" in graph["m2m_reader.cli"]


def test_a_circle_is_found_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_the_package_imports_itself_in_a_circle() -> None:
    cycles = find_cycles(import_graph())
    assert cycles == [], "import circles: " + "; ".join(" → ".join(c) for c in cycles)
