"""The command line: --version, one name for one idea across commands, help for every
option with its allowed values, and errors in one line (exit 2 for usage, 1 for data)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from carevis import __version__, cli
from carevis._usage import Parser

#: Old spellings kept working but hidden from --help.
OLD = {"--out", "--speed", "--check", "--scale", "--crf"}


class _Stop(Exception):
    pass


def _all_parsers(monkeypatch: pytest.MonkeyPatch) -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, the passthrough ones (view, ingest, ...) included."""
    top = cli.parser()
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    found = {n: p for n, p in sub.choices.items() if n not in cli.PASSTHROUGH}
    grabbed: list[argparse.ArgumentParser] = []

    def grab(self: argparse.ArgumentParser, *a: object, **k: object) -> None:
        grabbed.append(self)
        raise _Stop

    from carevis.ingest.cli import main_ingest, main_validate
    from carevis.stats import main_stats
    from carevis.window import main_view

    with monkeypatch.context() as m:
        m.setattr(Parser, "parse_args", grab)
        for name, fn in (
            ("view", main_view),
            ("ingest", main_ingest),
            ("validate", main_validate),
            ("stats", main_stats),
        ):
            with pytest.raises(_Stop):
                fn([])
            found[name] = grabbed[-1]
    return found


def test_every_option_has_help_and_its_allowed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    parsers = _all_parsers(monkeypatch)
    assert set(parsers) == {
        "demo",
        "synth",
        "render",
        "project",
        "view",
        "ingest",
        "validate",
        "stats",
    }
    for name, p in parsers.items():
        assert isinstance(p, Parser), name  # one-line errors everywhere
        for a in p._actions:
            if a.help == argparse.SUPPRESS:
                assert set(a.option_strings) <= OLD, (name, a.option_strings)
                continue
            assert a.help, (name, a.option_strings or a.dest)
            if a.choices is not None and a.metavar is not None:
                assert all(str(c) in a.help for c in a.choices), (name, a.option_strings)


def test_one_name_for_one_idea(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, p in _all_parsers(monkeypatch).items():
        shown = {s for a in p._actions if a.help != argparse.SUPPRESS for s in a.option_strings}
        assert not shown & OLD, (name, shown & OLD)
        outputs = [a for a in p._actions if "-o" in a.option_strings]
        assert all("--output" in a.option_strings for a in outputs), name
    top = cli.parser()
    for cmd in (["demo"], ["synth"], ["render", "-o", "x.png"]):
        assert top.parse_args([*cmd, "--synthetic", "0.5"]).synthetic == 0.5
    # the old spellings still work, quietly
    assert top.parse_args(["synth", "--check"]).compare
    assert top.parse_args(["synth", "--scale", "0.2"]).synthetic == 0.2
    assert top.parse_args(["demo", "--out", "d"]).output == "d"
    assert top.parse_args(["render", "-o", "x.mp4", "--speed", "7"]).days_per_second == 7


def _carevis(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carevis", *args], capture_output=True, text=True, check=False
    )


def test_version_and_error_exit_statuses(tmp_path: Path) -> None:
    r = _carevis("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"carevis {__version__}"
    usage = _carevis("render", "--nonsense", "-o", str(tmp_path / "a.png"))
    data = _carevis("render", str(tmp_path / "missing.parquet"), "-o", str(tmp_path / "a.png"))
    for r, status in ((usage, 2), (data, 1)):
        assert r.returncode == status, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("carevis: error: "), r.stderr
    assert "--nonsense" in usage.stderr and "missing.parquet" in data.stderr


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nonsense"],
        ["synth"],
        ["synth", "--synthetic", "0"],
        ["render", "-o", "x.mp4", "--qp", "99"],
        ["render", "-o", "x.mp4", "--layout", "spiral"],
        ["view", "--nonsense"],
        ["ingest"],
        ["ingest", "xml", "a", "-o", "b.parquet"],
        ["validate"],
        ["stats", "table.parquet"],
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("carevis: error: "), err
