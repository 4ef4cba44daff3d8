"""Labels with "% of children" as well as counts (issue 17, item 5): the setting in the
label model, the overlay, the exports and the CLI; a suppressed count shows no
percentage, and no percentage gives a suppressed count away."""

from __future__ import annotations

import re
from pathlib import Path

import carevis
import numpy as np
import pyarrow.parquet as pq
import pytest
from carevis import export
from carevis.cli import main
from carevis.errors import ConfigError
from carevis.render import OverlayStyle, check_style
from carevis.scene.labels import (
    LABEL_VALUES,
    check_suppression,
    format_percent,
    format_value,
    labels,
    percent_base,
    shown_counts,
)

from tests.journey_tables import make_table

T = "2018-06-30"
MINUTES = carevis._time.to_minutes(T)


@pytest.fixture(scope="module")
def scene() -> carevis.Scene:
    return carevis.Scene(carevis.Journeys.from_arrow(make_table(500, seed=5)))


def test_a_figure_as_count_percent_or_both() -> None:
    assert format_value(1234, 10_000) == "1,234"
    assert format_value(1234, 10_000, label_values="percent") == "12%"
    assert format_value(1234, 10_000, label_values="both") == "1,234 (12%)"
    assert format_percent(25, 1000) == "2.5%" and format_percent(1, 100_000) == "<0.1%"
    assert format_percent(0, 1000) == "0%" and format_percent(3, 0) == "0%"
    assert format_percent(995, 10_000) == "10%"  # never "10.0%"


def test_a_suppressed_count_shows_no_percentage() -> None:
    for values in ("percent", "both"):
        assert format_value(3, 1000, 5, "<N", values) == "<5"
        assert format_value(3, 1000, 5, "hide", values) is None
        zero, five = ("0%", "0.5%") if values == "percent" else ("0 (0%)", "5 (0.5%)")
        assert format_value(0, 1000, 5, "<N", values) == zero  # nobody is not a small number
        assert format_value(5, 1000, 5, "<N", values) == five


def test_percentages_reveal_nothing_of_a_suppressed_count() -> None:
    """Every text is the same whatever the suppressed counts are (1..N-1): percentages
    are of the children in states whose counts are shown."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        counts = rng.integers(0, 60, 12)
        small = (counts > 0) & (counts < 5)
        if not small.any():
            continue
        other = counts.copy()
        other[small] = rng.integers(1, 5, int(small.sum()))
        for values in ("percent", "both"):
            texts = [format_value(int(n), percent_base(counts, 5), 5, "<N", values) for n in counts]
            again = [format_value(int(n), percent_base(other, 5), 5, "<N", values) for n in other]
            assert texts == again


def test_the_label_model_shows_shares_of_the_children_in_the_picture(
    scene: carevis.Scene,
) -> None:
    frame = scene.frame(T)
    counts = shown_counts(scene, frame)
    model = labels(scene, MINUTES, counts, label_values="percent")
    shares = [float(re.sub("[<%]", "", c.count_text or "0")) for c in model.clusters]
    assert all(c.count_text and c.count_text.endswith("%") for c in model.clusters)
    assert abs(sum(shares) - 100) < 0.6 * len(shares)  # each rounded by at most half a unit
    both = labels(scene, MINUTES, counts, label_values="both")
    for c, n in zip(both.clusters, counts, strict=True):
        assert c.count_text is not None and c.count_text.startswith(f"{n:,} (")
    plain = labels(scene, MINUTES, counts)
    assert [c.count_text for c in plain.clusters] == [f"{n:,}" for n in counts]


def test_a_bad_setting_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="label_values"):
        check_suppression(0, "<N", "percentage")
    with pytest.raises(ConfigError, match="label_values"):
        check_style(OverlayStyle(label_values="share"))
    assert LABEL_VALUES == ("count", "percent", "both")


def test_export_and_cli_take_label_values(
    scene: carevis.Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.png"
    export.png(scene, T, out, width=640, height=360, label_values="both", suppress_below=5)
    meta = export.read_metadata(out)
    assert meta["overlay"]["label_values"] == "both"
    plain = carevis.render.image(scene, T, 640, 360)
    shares = carevis.render.image(scene, T, 640, 360, label_values="percent")
    assert not np.array_equal(plain, shares)  # the labels' text differs
    table = tmp_path / "j.parquet"
    pq.write_table(make_table(200, seed=2), table)
    cli_out = tmp_path / "c.png"
    args = ["render", str(table), "-o", str(cli_out), "--at", T, "--size", "640x360"]
    assert main([*args, "--label-values", "percent"]) == 0
    assert export.read_metadata(cli_out)["overlay"]["label_values"] == "percent"
    assert main([*args, "--label-values", "share"]) == 2
    assert "--label-values" in capsys.readouterr().err
