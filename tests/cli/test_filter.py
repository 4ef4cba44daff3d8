"""``carevis render --filter`` (issue 17, item 7): a filter shows only some children; one
that matches nothing says so in one line (the picture is still drawn); a mistyped column
is an error naming the closest column; a malformed one is a usage error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from carevis.cli import main
from PIL import Image

from tests.journey_tables import BG, make_table


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("filter") / "j.parquet"
    pq.write_table(make_table(300, seed=4), path)
    return str(path)


def _render(data: str, out: Path, *extra: str) -> int:
    argv = ["render", data, "-o", str(out), "--size", "320x180", "--at", "2020-03-31"]
    return main([*argv, "--title", "", *extra])


def _dots(path: Path) -> int:
    with Image.open(path) as im:
        img = np.asarray(im.convert("RGB")).astype(int)
    return int((np.abs(img - np.array(BG[:3])).max(axis=-1) > 40).sum())


def test_filter_shows_fewer_children(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    la = sorted(set(pq.read_table(data)["la"].to_pylist()))[0]
    assert _render(data, tmp_path / "all.png") == 0
    assert _render(data, tmp_path / "one.png", "--filter", f"la={la}") == 0
    assert "note" not in capsys.readouterr().err
    assert 0 < _dots(tmp_path / "one.png") < _dots(tmp_path / "all.png")


def test_a_filter_matching_nothing_says_so_in_one_line(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _render(data, tmp_path / "none.png", "--filter", "sex=Nobody") == 0
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if line.startswith("carevis: note: ")]
    assert any("no child has sex 'Nobody'" in n for n in notes)
    assert any("matches none of the 300 children" in n for n in notes)
    assert (tmp_path / "none.png").exists()


def test_a_mistyped_filter_column_is_an_error_naming_the_closest(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _render(data, tmp_path / "x.png", "--filter", "sexx=F") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("carevis: error: unknown filter column 'sexx'; did you mean 'sex'?")
    assert len(err.splitlines()) == 1 and not (tmp_path / "x.png").exists()


def test_a_malformed_filter_is_a_usage_error(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _render(data, tmp_path / "x.png", "--filter", "la") == 2
    assert "COLUMN=VALUE" in capsys.readouterr().err


# --- the same --filter on `carevis view` and `carevis export html` (issue 17, item 7) -----


def _page_meta(path: Path) -> dict[str, object]:
    import json
    import re

    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="carevis-meta">(.*?)</script>', text)
    assert found is not None
    meta: dict[str, object] = json.loads(found.group(1).replace("<\\/", "</"))
    return meta


def _export(data: str, out: Path, *extra: str) -> int:
    return main(["export", "html", data, "-o", str(out), *extra])


def test_export_html_filter_keeps_only_those_children(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pq.read_table(data)
    la = sorted(set(table["la"].to_pylist()))[0]
    pairs = zip(table["child_id"].to_pylist(), table["la"].to_pylist(), strict=True)
    ids = {c for c, v in pairs if v == la}
    assert _export(data, tmp_path / "one.html", "--filter", f"la={la}") == 0
    assert "note" not in capsys.readouterr().err
    spells = _page_meta(tmp_path / "one.html")["spells"]
    assert isinstance(spells, dict) and spells["n"] == len(ids) < 300


def test_export_html_filter_matching_nothing_says_so(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _export(data, tmp_path / "none.html", "--filter", "sex=Nobody") == 1
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if line.startswith("carevis: note: ")]
    assert any("no child has sex 'Nobody'" in n for n in notes)
    assert any("matches none of the 300 children" in n for n in notes)
    assert "carevis: error: --filter sex=Nobody keeps no child" in err
    assert not (tmp_path / "none.html").exists()


def test_export_html_mistyped_filter_column_names_the_valid_ones(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _export(data, tmp_path / "x.html", "--filter", "sexx=F") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("carevis: error: unknown filter column 'sexx'; did you mean 'sex'?")
    assert "(valid: 'age_band', 'la', 'sex')" in err
    assert _export(data, tmp_path / "x.html", "--filter", "la") == 2
    assert "COLUMN=VALUE" in capsys.readouterr().err


@pytest.fixture
def viewed(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """`carevis view`'s window replaced by a record of the scene it was given."""
    from carevis.window import launch

    seen: dict[str, object] = {}
    monkeypatch.setattr(launch, "view", lambda scene, **kw: seen.update(scene=scene, **kw))
    monkeypatch.setattr(launch, "check_display", lambda: None)  # no display needed here
    return seen


def test_view_filter_shows_only_those_children(
    data: str, viewed: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    from carevis import Scene

    la = sorted(set(pq.read_table(data)["la"].to_pylist()))[0]
    assert main(["view", data, "--filter", f"la={la}"]) == 0
    assert "note" not in capsys.readouterr().err
    scene = viewed["scene"]
    assert isinstance(scene, Scene) and scene.emphasis is not None
    visible = scene.emphasis.visible
    assert visible is not None
    want = np.asarray(scene.journeys.attribute("la").to_pylist()) == la
    assert 0 < visible.sum() < 300 and np.array_equal(visible, want)
    assert main(["view", data]) == 0
    assert isinstance(viewed["scene"], Scene) and viewed["scene"].emphasis is None


def test_view_filter_matching_nothing_says_so(
    data: str, viewed: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["view", data, "--filter", "sex=Nobody"]) == 0
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if line.startswith("carevis: note: ")]
    assert any("no child has sex 'Nobody'" in n for n in notes)
    assert any("matches none of the 300 children" in n for n in notes)


def test_view_mistyped_filter_column_names_the_valid_ones(
    data: str, viewed: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["view", data, "--filter", "sexx=F"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("carevis: error: unknown filter column 'sexx'; did you mean 'sex'?")
    assert len(err.splitlines()) == 1 and "scene" not in viewed
    assert main(["view", data, "--filter", "la"]) == 2
    assert "COLUMN=VALUE" in capsys.readouterr().err
