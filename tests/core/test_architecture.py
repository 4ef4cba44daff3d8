"""The shape of the Python layer (issue 16), checked from its own source: every import runs
downward through the ranks below (the data flow io -> journeys -> scene -> gl | render ->
export -> window | distributed -> cli), no import cycle anywhere, no file or function too
long to read. The rule is the package tree's; CONTRIBUTING.md draws it."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "python" / "carevis"

#: Each top-level part of the package and its rank: a module may import only parts of a
#: strictly lower rank, or modules of its own part (acyclically).
RANKS: dict[str, int] = {
    "errors": 0,
    "_native": 0,
    "_version": 0,
    "_time": 1,
    "_check": 1,
    "_progress": 1,
    "_usage": 1,
    "atomic": 1,
    "privacy": 1,
    "rules": 2,
    "io": 3,
    "layout": 3,
    "viewport": 4,
    "journeys": 4,
    "ingest": 5,
    "synthetic": 5,
    "congestion": 5,
    "scene": 6,
    "stats": 7,
    "gl": 8,
    "render": 9,
    "export": 10,
    "project": 5,
    "distributed": 11,
    "window": 11,
    "notebook": 11,
    "cli": 12,
    "__init__": 13,
    "__main__": 13,
}
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 80


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def part_of(module: str) -> str:
    """The top-level part a module belongs to (``carevis`` itself is ``__init__``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path, root: Path = ROOT) -> list[tuple[str, int]]:
    """(module imported, line) for every import of carevis in one file, function-level and
    ``TYPE_CHECKING`` ones included."""
    me = module_name(path, root)
    package = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("carevis")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("carevis"):
                continue
            if node.module is None or target == "carevis":  # from . import x, from carevis import x
                out += [(f"{target}.{a.name}", node.lineno) for a in node.names]
            else:
                out.append((target, node.lineno))
    return out


FILES = sorted(ROOT.rglob("*.py"))
MODULES = {module_name(p) for p in FILES} | {"carevis._native"}


def resolve(target: str) -> str:
    """The module an import names (``from carevis.scene import Scene`` -> carevis.scene)."""
    while target not in MODULES and "." in target:
        target = target.rsplit(".", 1)[0]
    return target


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for p in FILES:
        me = module_name(p)
        for target, _ in imports(p):
            t = resolve(target)
            if t != me:
                edges[me].add(t)
    return edges


def test_every_part_has_a_rank() -> None:
    unknown = sorted({part_of(module_name(p)) for p in FILES} - set(RANKS))
    assert not unknown, f"give these parts a rank in RANKS (and CONTRIBUTING.md): {unknown}"


def test_imports_run_downward() -> None:
    upward = []
    for p in FILES:
        me = module_name(p)
        mine = part_of(me)
        for target, line in imports(p):
            other = part_of(resolve(target))
            if other == mine or other not in RANKS or mine not in RANKS:
                continue
            if RANKS[other] >= RANKS[mine] and other != "_native":
                upward.append(f"{p.relative_to(ROOT)}:{line} {me} -> {target}")
    assert not upward, "imports that run up or sideways:\n" + "\n".join(upward)


def test_no_import_cycle() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(edges.get(m, ())):
            # a package's __init__ re-exporting its own modules is not a cycle with them
            if m.startswith(t + "."):
                continue
            if state.get(t) == 1:
                cycles.append([*stack[stack.index(t) :], t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_files_and_functions_are_short(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    n = len(text.splitlines())
    assert n <= MAX_FILE_LINES, f"{path.relative_to(ROOT)} has {n} lines"
    long = [
        f"{f.name} ({f.end_lineno - f.lineno + 1} lines, line {f.lineno})"
        for f in ast.walk(ast.parse(text))
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
        and f.end_lineno is not None
        and f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.relative_to(ROOT)}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_the_checker_sees_upward_and_function_level_imports(tmp_path: Path) -> None:
    """The checker itself: imports written into a file, at any depth, are all found."""
    pkg = tmp_path / "carevis" / "scene"
    pkg.mkdir(parents=True)
    f = pkg / "x.py"
    f.write_text(
        "from .. import _native\n"
        "def f():\n    from ..render import image\n    import carevis.export\n"
        "from .core import Scene\n"
    )
    got = imports(f, tmp_path / "carevis")
    assert got == [
        ("carevis._native", 1),
        ("carevis.scene.core", 5),
        ("carevis.render", 3),
        ("carevis.export", 4),
    ] or sorted(got) == sorted(
        [
            ("carevis._native", 1),
            ("carevis.render", 3),
            ("carevis.export", 4),
            ("carevis.scene.core", 5),
        ]
    )
    assert [RANKS[part_of(t)] for t, _ in sorted(got, key=lambda x: x[1])] == [0, 9, 10, 6]
