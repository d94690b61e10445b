"""The package-level import graph of ``gateway/`` and ``adapters/``, counting every import.

Every ``import`` / ``from … import`` statement anywhere in a module counts: at module level, inside
functions, under ``if TYPE_CHECKING:``, inside try/except. A package is the folder that holds a module
(``gateway/domain/settlement.py`` → ``gateway.settlement``; loose modules of ``gateway/`` → ``gateway``).
``from a.b import c`` is an edge to the module ``a.b.c`` when it exists, else to ``a.b`` (as grimp and
import-linter resolve it).

``python -m tests.architecture.import_graph`` prints the cycles with the imports that make them.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Import", "collect", "function_level_imports", "package_cycles"]

TOP_PACKAGES = ("gateway", "adapters")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported first-party module, dotted
    file: str
    line: int
    kind: str  # "module" | "function" | "type_checking"


def _modules(root: Path) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for top in TOP_PACKAGES:
        for path in sorted((root / top).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _package(module: str, modules: dict[str, Path]) -> str:
    return module if modules[module].name == "__init__.py" else module.rpartition(".")[0] or module


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, kind: str, out: list[tuple[ast.Import | ast.ImportFrom, str]]) -> None:
    for child in ast.iter_child_nodes(node):
        child_kind = "function" if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else kind
        if isinstance(child, ast.If) and kind == "module" and _is_type_checking(child.test):
            for stmt in child.body:
                _take(stmt, "type_checking", out)
            for stmt in child.orelse:
                _take(stmt, kind, out)
        else:
            _take(child, child_kind, out)


def _take(node: ast.AST, kind: str, out: list[tuple[ast.Import | ast.ImportFrom, str]]) -> None:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        out.append((node, kind))
    else:
        _walk(node, kind, out)


def _closest(name: str, modules: dict[str, Path]) -> str | None:
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def collect(root: Path = ROOT) -> tuple[dict[str, Path], list[Import]]:
    modules = _modules(root)
    found: list[Import] = []
    for name, path in modules.items():
        statements: list[tuple[ast.Import | ast.ImportFrom, str]] = []
        _walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), "module", statements)
        is_package = path.name == "__init__.py"
        for stmt, kind in statements:
            if isinstance(stmt, ast.Import):
                targets = [alias.name for alias in stmt.names]
            else:
                base = stmt.module or ""
                if stmt.level:
                    parts = name.split(".") if is_package else name.split(".")[:-1]
                    parts = parts[: len(parts) - (stmt.level - 1)]
                    base = ".".join([*parts, *([stmt.module] if stmt.module else [])])
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in stmt.names]
            for target in dict.fromkeys(targets):
                if target.split(".")[0] not in TOP_PACKAGES:
                    continue
                resolved = _closest(target, modules)
                if resolved is not None:
                    found.append(Import(name, resolved, str(path.relative_to(root)), stmt.lineno, kind))
    return modules, found


def package_edges(root: Path = ROOT) -> dict[str, dict[str, list[Import]]]:
    modules, imports = collect(root)
    edges: dict[str, dict[str, list[Import]]] = {_package(m, modules): defaultdict(list) for m in modules}
    for imp in imports:
        source, target = _package(imp.source, modules), _package(imp.target, modules)
        if source != target:
            edges[source][target].append(imp)
    return edges


def _components(edges: dict[str, dict[str, list[Import]]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative), each sorted, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(edges[start])))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    components.append(sorted(component))
    return sorted(components, key=lambda c: (-len(c), c))


def package_cycles(root: Path = ROOT) -> list[list[str]]:
    """Every set of packages that import each other round (components of more than one package)."""
    return [c for c in _components(package_edges(root)) if len(c) > 1]


def function_level_imports(root: Path = ROOT) -> list[Import]:
    return [imp for imp in collect(root)[1] if imp.kind == "function"]


def main() -> int:
    edges = package_edges()
    cycles = package_cycles()
    print(f"packages: {len(edges)}, package cycles: {len(cycles)}")
    for cycle in cycles:
        print(f"-- {len(cycle)} packages: {', '.join(cycle)}")
        for source in cycle:
            for target, imports in sorted(edges[source].items()):
                if target in cycle:
                    print(f"   {source} -> {target}: " + ", ".join(f"{i.file}:{i.line}" for i in imports))
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
