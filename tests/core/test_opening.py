"""The moment a picture opens at (issue 17, item 6): the latest 31 March whose whole year
is in the data, else the data's last day; the window, ``carevis render`` and the page use
it when no moment is given."""

from __future__ import annotations

import datetime as dt

import pytest
from carevis.rules import opening_minutes

DAY = 1440


def m(date: str) -> float:
    return float((dt.date.fromisoformat(date) - dt.date(1970, 1, 1)).days * DAY)


@pytest.mark.parametrize(
    ("lo", "hi", "want"),
    [
        # several whole years: the latest year-end whose year is whole
        ("2015-04-01", "2025-03-31T23:59", "2024-03-31"),
        ("2015-04-01", "2025-04-01", "2025-03-31"),  # 31 March 2025 has ended by hi
        ("2015-01-01", "2025-02-10", "2024-03-31"),
        ("2016-04-01", "2017-04-01", "2017-03-31"),  # exactly one whole year
        # no whole year: the last day
        ("2016-04-02", "2017-04-01", "2017-04-01"),
        ("2020-06-01", "2021-02-01", "2021-02-01"),
    ],
)
def test_latest_whole_year_end_else_last_day(lo: str, hi: str, want: str) -> None:
    hi_m = float((dt.datetime.fromisoformat(hi) - dt.datetime(1970, 1, 1)).total_seconds() / 60)
    assert opening_minutes((m(lo), hi_m)) == m(want)


def test_no_data_opens_at_zero() -> None:
    assert opening_minutes(None) == 0.0


def test_render_png_defaults_to_the_opening(tmp_path: object) -> None:
    import carevis
    from carevis.cli import main
    from PIL import Image

    from tests.journey_tables import make_table

    table = make_table(300, seed=3)
    path = f"{tmp_path}/j.parquet"
    import pyarrow.parquet as pq

    pq.write_table(table, path)
    scene = carevis.Scene(carevis.Journeys.from_arrow(table))
    at = opening_minutes(scene.journeys.minute_range)
    assert main(["render", path, "-o", f"{tmp_path}/a.png", "--size", "320x180"]) == 0
    want = dt.datetime(1970, 1, 1) + dt.timedelta(minutes=at)
    day = f"{want:%Y-%m-%d}"
    assert main(["render", path, "-o", f"{tmp_path}/b.png", "--size", "320x180", "--at", day]) == 0
    with Image.open(f"{tmp_path}/a.png") as a, Image.open(f"{tmp_path}/b.png") as b:
        assert a.tobytes() == b.tobytes()
