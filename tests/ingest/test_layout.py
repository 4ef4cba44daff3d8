"""The ingest package's shape: every import points down (the package ranks of issue 16,
and within ingest shared stages below the returns, each return's stages below its
``read``), no cycle, no function-local import of carevis, small files and functions;
and the one identifying-column policy (``carevis.privacy``) covers every identifying
column the ingest reads or writes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from carevis import privacy

ROOT = Path(__file__).resolve().parents[2] / "python" / "carevis"
INGEST = ROOT / "ingest"
#: what ingest (rank 4) may import from carevis outside itself
ALLOWED = {
    "errors", "_native", "_time", "_check", "_progress", "_usage", "atomic", "privacy",
    "rules", "io", "layout", "viewport", "journeys",
}  # fmt: skip
#: ingest modules above both returns (and the package itself)
TOP = {"carevis.ingest", "carevis.ingest.cli", "carevis.ingest.combined"}


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(INGEST.rglob("*.py")):
        parts = ("carevis", *p.relative_to(ROOT).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
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


def _graph() -> dict[str, set[str]]:
    mods = _modules()

    def resolve(t: str) -> str:
        while t not in mods and "." in t:
            t = t.rsplit(".", 1)[0]
        return t

    g: dict[str, set[str]] = {}
    for name, path in mods.items():
        targets = {resolve(t) for t, _ in _imports(name, path) if t.startswith("carevis.ingest")}
        g[name] = targets - {name}
    return g


def test_imports_point_down_and_are_at_module_level() -> None:
    bad = []
    for name, path in _modules().items():
        for t, at_top in _imports(name, path):
            if not at_top:
                bad.append(f"{name}: function-local import of {t}")
            part = t.split(".")[1]
            if part != "ingest" and part not in ALLOWED:
                bad.append(f"{name}: imports {t}, which ranks above ingest")
    assert not bad


def test_no_cycle_and_stages_import_downward() -> None:
    g = _graph()
    seen: dict[str, int] = {}

    def visit(u: str, path: list[str]) -> None:
        seen[u] = 1
        for v in g[u]:
            assert seen.get(v) != 1, f"import cycle: {' -> '.join([*path, u, v])}"
            if not seen.get(v):
                visit(v, [*path, u])
        seen[u] = 2

    for m in g:
        if not seen.get(m):
            visit(m, [])
    for m, targets in g.items():
        for v in targets:
            if m not in TOP:
                assert v not in TOP, f"{m} imports {v}, which is above it"
            if ".ssda903" not in m and ".cin" not in m and m not in TOP:
                assert ".ssda903" not in v and ".cin" not in v, f"shared {m} imports {v}"
            assert not (".cin" in m and ".ssda903" in v), f"{m} imports {v}"
            assert not (".ssda903" in m and ".cin" in v), f"{m} imports {v}"
            assert not m.startswith(v + "."), f"{m} imports its own package {v}"


def test_files_and_functions_are_small() -> None:
    long_files = []
    long_funcs = []
    for name, path in _modules().items():
        src = path.read_text()
        if len(src.splitlines()) > 400:
            long_files.append(name)
        for node in ast.walk(ast.parse(src)):
            end = getattr(node, "end_lineno", None)
            if isinstance(node, ast.FunctionDef) and end is not None and end - node.lineno >= 80:
                long_funcs.append(f"{name}.{node.name}")
    assert not long_files and not long_funcs


@pytest.mark.parametrize(
    "column",
    [
        # SSDA903 (episodes, header, UASC)
        "CHILD", "DOB", "MC_DOB", "UPN", "HOME_POST", "PL_POST",
        # CIN census
        "LAchildID", "PersonBirthDate", "UPN", "FormerUPN",
        # the journey table and the rejects file
        "child_id", "birth_date", "birth_month", "source_child",
    ],
)  # fmt: skip
def test_every_identifying_column_of_the_returns_is_identifying(column: str) -> None:
    assert privacy.is_identifying(column)
