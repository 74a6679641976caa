#!/usr/bin/env python3
"""The house's figures, measured from the source: where SQL lives, imports that point the wrong
way, import cycles, hand-written transaction blocks, ``type: ignore`` and the largest function.

    python scripts/house_metrics.py [--src src/tiescale] [--json]

Layers, lowest first (a module may import its own layer and any lower one):
    base (records, results, timeparse)  <  classify, sources, text  <  store  <  scoring  <  insights
    <  sync, demo  <  api  <  surfaces         (the same contract import-linter checks: pyproject.toml)
Imports inside functions count too: a lazy import is still a dependency.
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(OR\s+REPLACE\s+)?"
    r"(TEMP\s+|TEMPORARY\s+)?(TABLE|VIEW|INDEX|SEQUENCE|MACRO)|ALTER\s+TABLE|DROP\s+(TABLE|VIEW|INDEX))\b",
    re.IGNORECASE | re.DOTALL,
)
# interactions joined to identities on platform and handle (the `touchpoints` view says it once)
HANDLE_JOIN = re.compile(r"\bidentities\s+(?:AS\s+)?\w+\s+ON\s+[\w.\s=]*?(?:\b\w+\.handle\s*=\s*\w+\.(?:person|handle)|\b\w+\.person\s*=\s*\w+\.handle)\b", re.IGNORECASE)
LATEST_IMPORT = re.compile(r"max\(import_id\)", re.IGNORECASE)
INSERT_NO_COLUMNS = re.compile(r"INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\w+\s+(SELECT|VALUES|FROM|WITH)\b", re.IGNORECASE)
CURSOR_TO_DICT = re.compile(r"\.description\b")  # column names read off a cursor by hand
BEGIN = re.compile(r"^\s*BEGIN(\s+TRANSACTION)?\s*;?\s*$", re.IGNORECASE)

LAYERS = {
    "records": 0, "results": 0, "timeparse": 0, "_util": 0, "_limits": 0,
    "classify": 1, "sources": 1, "text": 1,
    "store": 2,
    "scoring": 3,
    "insights": 4,
    "sync": 5, "demo": 5,
    "api": 6, "surfaces": 7,
}


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the package root re-exports the public API: it may import anything
    return LAYERS.get(parts[1])


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        parts = module.split(".")
        keep = len(parts) - node.level + (1 if is_package else 0)
        base = ".".join(parts[:keep] + ([node.module] if node.module else []))
    # `from . import x` names submodules; `from .m import f` names module m
    if node.module is None:
        return [f"{base}.{alias.name}" for alias in node.names]
    return [base]


def literal_text(node: ast.AST) -> str:
    """A string literal's text (an f-string's constant parts joined; its fields as {})."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    assert isinstance(node, ast.JoinedStr)
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def sql_literals(tree: ast.AST) -> list[ast.AST]:
    """String literals (an f-string counts once) that hold SQL."""
    found: list[ast.AST] = []
    inside_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            for v in node.values:
                inside_fstring.add(id(v))
            if SQL.search(text):
                found.append(node)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside_fstring
                and SQL.search(node.value)):
            found.append(node)
    return found


def measure(src: Path) -> dict[str, object]:
    modules: dict[str, tuple[Path, ast.Module, bool]] = {}
    for path in sorted(src.rglob("*.py")):
        modules[module_name(path, src)] = (path, ast.parse(path.read_text(), str(path)), path.name == "__init__.py")

    sql_files: dict[str, int] = {}
    joins = latest = no_columns = to_dict = tier_of = 0
    begins = 0
    ignores = 0
    largest = ("", 0)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    upward: list[str] = []
    for name, (path, tree, is_package) in modules.items():
        text = path.read_text()
        ignores += text.count("type: ignore")
        literals = sql_literals(tree)
        for node in literals:
            literal = literal_text(node)
            if re.search(r"\b(FROM|JOIN)\s+interactions\b", literal, re.IGNORECASE):
                joins += len(HANDLE_JOIN.findall(literal))
            latest += len(LATEST_IMPORT.findall(literal))
            no_columns += len(INSERT_NO_COLUMNS.findall(literal))
        to_dict += len(CURSOR_TO_DICT.findall(text))
        tier_of += sum(1 for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "tier_of")
        if literals:
            sql_files[str(path.relative_to(src.parent.parent))] = len(literals)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and BEGIN.match(node.value):
                begins += 1
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > largest[1]:
                    largest = (f"{name}.{node.name}", size)
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                targets = resolve(name, is_package, node)
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if not target or target == name or not target.startswith("tiescale"):
                    continue
                graph[name].add(target)
                mine, theirs = layer_of(name), layer_of(target)
                if mine is not None and theirs is not None and theirs > mine:
                    upward.append(f"{name} -> {target}")
    cycles = strongly_connected(graph)
    return {
        "files holding SQL": len(sql_files),
        "SQL literals": sum(sql_files.values()),
        "upward imports": len(upward),
        "import cycles": len(cycles),
        "transaction blocks (BEGIN)": begins,
        "interactions joined to identities by hand": joins,
        "max(import_id) in SQL": latest,
        "INSERT without a column list": no_columns,
        "cursor.description readers": to_dict,
        "tier_of definitions": tier_of,
        "type: ignore": ignores,
        "largest function": f"{largest[0]} ({largest[1]} lines)",
        "modules": len(modules),
        "source lines": sum(len(p.read_text().splitlines()) for p, _, _ in modules.values()),
        "_upward": sorted(upward),
        "_cycles": [sorted(c) for c in cycles],
        "_sql_files": dict(sorted(sql_files.items(), key=lambda kv: -kv[1])),
        "_packages": package_graph(graph),
    }


def package_graph(graph: dict[str, set[str]]) -> dict[str, list[str]]:
    """Which top-level parts of tiescale each part imports (the map in docs/architecture.md)."""
    def part(module: str) -> str:
        pieces = module.split(".")
        return pieces[1] if len(pieces) > 1 else "(package root)"
    edges: dict[str, set[str]] = {}
    for source, targets in graph.items():
        for target in targets:
            if part(source) != part(target):
                edges.setdefault(part(source), set()).add(part(target))
    return {k: sorted(v) for k, v in sorted(edges.items())}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; components of more than one module are cycles. A package's
    ``__init__`` importing its own submodules is not counted (that is how packages re-export)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def edges(v: str) -> set[str]:
        return {w for w in graph[v] if not w.startswith(v + ".")}

    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    for v in graph:
        if v not in index:
            visit(v)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", default=str(Path(__file__).resolve().parent.parent / "src" / "tiescale"))
    parser.add_argument("--json", action="store_true", help="every figure, with the lists behind them")
    parser.add_argument("--verbose", action="store_true", help="list the upward imports, cycles and SQL files")
    parser.add_argument("--graph", action="store_true", help="print which part of tiescale imports which")
    args = parser.parse_args()
    figures = measure(Path(args.src))
    if args.graph:
        for source, targets in figures["_packages"].items():  # type: ignore[union-attr]
            print(f"{source:18} -> {', '.join(targets)}")
        return 0
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for key, value in figures.items():
        if not key.startswith("_"):
            print(f"{key:30} {value}")
    if args.verbose:
        for key in ("_upward", "_cycles", "_sql_files"):
            print(f"\n{key[1:]}:")
            items = figures[key]
            for item in (items.items() if isinstance(items, dict) else items):  # type: ignore[attr-defined]
                print(f"  {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
