"""What the page must never hold (ids, birth dates, postcodes), counts below the threshold
as <N, the attributes refused, bad options, the command, minute-resolution data, and that
the network check would see a request if a page made one."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

import carevis
import numpy as np
import pyarrow as pa
import pytest
from carevis.cli import main
from carevis.errors import ConfigError, ExportError
from carevis.export.player import export_html

from ..conftest import STATES, day
from .browser import Browser

SECRET = "CHILD-SECRET-"


def _table(n: int = 300, minutes: bool = False) -> pa.Table:
    rng = np.random.default_rng(4)
    rows: dict[str, list[object]] = {
        k: [] for k in ("child_id", "state", "start", "end", "postcode", "dob", "la")
    }
    for c in range(n):
        t = int(rng.integers(0, 300))
        for _ in range(int(rng.integers(1, 4))):
            length = int(rng.integers(1, 200))
            rows["child_id"].append(f"{SECRET}{c:05d}")
            rows["state"].append(STATES[int(rng.integers(0, len(STATES)))])
            rows["start"].append(t)
            rows["end"].append(t + length if rng.random() < 0.9 else None)
            rows["postcode"].append(f"ZZ{c % 90 + 10} 9QX")
            rows["dob"].append(day(-3000 - c))
            rows["la"].append(["Barsetshire", "Wessex", "Loamshire"][c % 3])
            t += length + int(rng.integers(0, 30))
            if rows["end"][-1] is None:
                break
    start = [day(v) for v in rows["start"]]
    end = [None if v is None else day(v) for v in rows["end"]]  # type: ignore[arg-type]
    if minutes:  # times of day: the page keeps minutes, not days
        offs = rng.integers(0, 1440, len(start))
        rows["start"] = [
            np.datetime64(d, "s") + 60 * int(o) for d, o in zip(start, offs, strict=True)
        ]
        rows["end"] = [None if e is None else np.datetime64(e, "s") for e in end]
        kind = pa.timestamp("s")
    else:
        rows["start"], rows["end"] = start, end
        kind = pa.date32()
    return pa.table(
        {
            "child_id": rows["child_id"],
            "state": rows["state"],
            "start": pa.array(rows["start"], kind if minutes else pa.date32()),
            "end": pa.array(rows["end"], kind if minutes else pa.date32()),
            "postcode": rows["postcode"],
            "dob": pa.array(rows["dob"], pa.date32()),
            "la": rows["la"],
        }
    )


@pytest.fixture(scope="module")
def scene() -> carevis.Scene:
    return carevis.Scene(carevis.Journeys.from_arrow(_table()))


def _unpacked(path: Path) -> bytes:
    text = path.read_text(encoding="utf-8")
    data = re.search(r'id="carevis-data">([^<]*)<', text)
    assert data is not None
    return gzip.decompress(base64.b64decode(data.group(1)))


def test_no_id_birth_date_or_postcode(scene: carevis.Scene, tmp_path: Path) -> None:
    page = export_html(scene, tmp_path / "p.html", attributes=["la"])
    raw = _unpacked(page)
    # the page less its base64 data (where any short string turns up by chance)
    text = re.sub(r'(id="carevis-data">)[^<]*', r"\1", page.read_text(encoding="utf-8"))
    for needle in (SECRET, "9QX", "dob", "postcode", "child_id"):
        assert needle not in text, needle
        assert needle.encode() not in raw, needle
    # nor the birth dates as numbers (days or minutes since 1970)
    births = {str(d) for d in range(-3000 - 300, -2999)}
    assert not births & set(re.findall(r"-?\d+", text))
    assert "Barsetshire" in text  # the attribute asked for is there


@pytest.mark.parametrize("column", ["child_id", "postcode", "dob", "birth_month", "UPN"])
def test_identifying_attributes_refused(scene: carevis.Scene, tmp_path: Path, column: str) -> None:
    with pytest.raises(ConfigError, match="identifier"):
        export_html(scene, tmp_path / "p.html", attributes=[column])
    assert not (tmp_path / "p.html").exists()


def test_bad_options(scene: carevis.Scene, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"\.html"):
        export_html(scene, tmp_path / "p.png")
    with pytest.raises(ExportError, match="no such folder"):
        export_html(scene, tmp_path / "nowhere" / "p.html")
    with pytest.raises(ConfigError, match="suppress_below"):
        export_html(scene, tmp_path / "p.html", suppress_below=-1)
    with pytest.raises(ConfigError, match="title"):
        export_html(scene, tmp_path / "p.html", title="a\rb")
    with pytest.raises(ConfigError, match="filter"):
        export_html(scene.with_filter(highlight=1), tmp_path / "p.html")
    assert list(tmp_path.iterdir()) == []


def test_small_counts_read_below_n(browser: Browser, scene: carevis.Scene, tmp_path: Path) -> None:
    want = scene.counts("2020-06-01")
    k = int(want.max())  # the fullest state shows its count, the others read <k
    page = export_html(scene, tmp_path / "p.html", suppress_below=k, attributes=["la"])
    browser.open(page, "t=2020-06-01")
    got = [x["count"] for x in browser.evaluate("window.carevis.labels()")]
    assert any(0 < n < k for n in want)
    for n, text in zip(want, got, strict=True):
        assert text == (f"<{k}" if 0 < n < k else f"{n:,}")


def test_minutes_resolution(browser: Browser, tmp_path: Path) -> None:
    scene = carevis.Scene(carevis.Journeys.from_arrow(_table(120, minutes=True)))
    page = export_html(scene, tmp_path / "p.html")
    assert (
        json.loads(
            re.search(r'id="carevis-meta">([^<]*)<', page.read_text(encoding="utf-8")).group(1)  # type: ignore[union-attr]
        )["spells"]["unit"]
        == 1
    )
    browser.open(page)
    got = browser.evaluate("window.carevis.tables()")
    n, m = scene.n_dots, int(scene._native.n_spells)
    dots = np.zeros((n + 1, 3), np.uint32)
    spells = np.zeros((m, 4), np.uint32)
    places = np.zeros((m, 2), np.float32)
    scene._native.gpu_tables(dots, spells, places)
    page_spells = np.frombuffer(base64.b64decode(got["spells"]), np.uint32).reshape(-1, 4)
    page_dots = np.frombuffer(base64.b64decode(got["dots"]), np.uint32).reshape(-1, 3)
    np.testing.assert_array_equal(page_spells[:m], spells)
    np.testing.assert_array_equal(page_dots[: n + 1], dots)


def test_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "journeys.html"
    code = main(
        ["export", "html", "--synthetic", "0.001", "-o", str(out), "--attribute", "la",
         "--suppress-below", "5", "--congestion"]
    )  # fmt: skip
    assert code == 0
    assert "wrote" in capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert '"suppress_below":5' in text and '"name":"la"' in text
    assert main(["export", "html", "--synthetic", "0.001", "-o", str(out), "--attribute",
                 "child_id"]) == 1  # fmt: skip
    assert "identifier" in capsys.readouterr().err
    assert main(["export", "pdf", "-o", str(out)]) == 2


def test_the_network_check_sees_requests(browser: Browser, tmp_path: Path) -> None:
    """A page that asks the network for something is caught (the check can fail)."""
    page = tmp_path / "leaky.html"
    page.write_text(
        '<!DOCTYPE html><img src="http://example.invalid/x.png">'
        '<script>document.body.dataset.ready = "1"</script>',
        encoding="utf-8",
    )
    browser.open(page)
    assert "http://example.invalid/x.png" in browser.requests()
