"""The shape of the statistics package and the shared rules: every import points down
(issue 16's ranks: ``rules`` on the errors, the engine and the clock only; ``stats`` on
ranks 0 to 4, not the scene), at module level, no cycle inside ``stats``, small files and
functions."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "python" / "carevis"
#: what each may import from carevis outside itself
ALLOWED = {
    "rules": {"errors", "_native", "_time"},
    "stats": {
        "errors", "_native", "_time", "_check", "_progress", "_usage", "atomic", "privacy",
        "rules", "io", "layout", "viewport", "journeys", "synthetic", "congestion",
    },
}  # fmt: skip


def _modules() -> dict[str, Path]:
    out = {"carevis.rules": ROOT / "rules.py"}
    for p in sorted((ROOT / "stats").glob("*.py")):
        parts = ("carevis", *p.relative_to(ROOT).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def _imports(name: str, path: Path) -> list[tuple[str, bool]]:
    """(imported carevis module or name, whether at module level) of one module."""
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out += [(f"{target}.{a.name}", id(node) in top) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
    return [(t, at_top) for t, at_top in out if t.split(".")[0] == "carevis"]


def test_imports_point_down_and_are_at_module_level() -> None:
    bad = []
    for name, path in _modules().items():
        me = name.split(".")[1]
        for t, at_top in _imports(name, path):
            if not at_top:
                bad.append(f"{name}: function-local import of {t}")
            part = t.split(".")[1]
            if part != me and part not in ALLOWED[me]:
                bad.append(f"{name}: imports {t}, which is not below {me}")
    assert not bad


def test_no_cycle_inside_stats() -> None:
    mods = _modules()

    def resolve(t: str) -> str:
        while t not in mods and "." in t:
            t = t.rsplit(".", 1)[0]
        return t

    g = {
        name: {resolve(t) for t, _ in _imports(name, p) if t.startswith("carevis.stats.")} - {name}
        for name, p in mods.items()
    }
    seen: dict[str, int] = {}

    def visit(u: str, path: list[str]) -> None:
        seen[u] = 1
        for v in g[u]:
            assert seen.get(v) != 1, f"import cycle: {' -> '.join([*path, u, v])}"
            assert v != "carevis.stats", f"{u} imports its own package"
            if not seen.get(v):
                visit(v, [*path, u])
        seen[u] = 2

    for m in g:
        if not seen.get(m):
            visit(m, [])
    assert g["carevis.stats.base"] == set()  # the foundation imports no sibling


def test_files_and_functions_are_small() -> None:
    long_files, long_funcs = [], []
    for name, path in _modules().items():
        src = path.read_text()
        if len(src.splitlines()) > 400:
            long_files.append(name)
        for node in ast.walk(ast.parse(src)):
            end = getattr(node, "end_lineno", None)
            if isinstance(node, ast.FunctionDef) and end is not None and end - node.lineno >= 80:
                long_funcs.append(f"{name}.{node.name}")
    assert not long_files and not long_funcs
