"""The shared rules (``carevis.rules``): age bands in whole calendar years, birth dates,
the statistical calendar."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from carevis import ConfigError, Journeys, SchemaError, rules, stats
from carevis._time import to_minutes

from ..conftest import table


def d(s: str) -> int:
    return (dt.date.fromisoformat(s) - dt.date(1970, 1, 1)).days


def band(birth: str | None, at: str) -> str:
    b = np.array([np.nan if birth is None else d(birth)], dtype=np.float64)
    return str(rules.band_labels(rules.age_band(b, np.array([d(at)])))[0])


@pytest.mark.parametrize(
    ("birth", "at", "years"),
    [
        ("2010-06-15", "2011-06-14", 0),
        ("2010-06-15", "2011-06-15", 1),  # a birthday counts from its day
        ("2010-06-15", "2026-06-14", 15),
        ("2010-06-15", "2026-06-15", 16),
        ("2012-02-29", "2013-02-28", 0),  # born on 29 February: a year older on 1 March
        ("2012-02-29", "2013-03-01", 1),
        ("2012-02-29", "2016-02-28", 3),
        ("2012-02-29", "2016-02-29", 4),
        ("2011-03-01", "2012-02-29", 0),
        ("2011-03-01", "2012-03-01", 1),
        ("1969-12-31", "1970-12-31", 1),  # before 1970 too
    ],
)
def test_age_in_whole_calendar_years(birth: str, at: str, years: int) -> None:
    got = rules.age_years(np.array([float(d(birth))]), np.array([d(at)]))
    assert got.tolist() == [years]


def test_bands_change_on_the_birthday() -> None:
    b = "2010-06-15"
    assert [band(b, x) for x in ("2011-06-14", "2011-06-15")] == ["Under 1", "1-4"]
    assert [band(b, x) for x in ("2015-06-14", "2015-06-15")] == ["1-4", "5-9"]
    assert [band(b, x) for x in ("2020-06-14", "2020-06-15")] == ["5-9", "10-15"]
    assert [band(b, x) for x in ("2026-06-14", "2026-06-15")] == ["10-15", "16+"]
    assert band("2012-02-29", "2013-02-28") == "Under 1"
    assert band("2012-02-29", "2013-03-01") == "1-4"
    assert band(None, "2020-01-01") == "Unknown"
    assert band("2021-01-01", "2020-01-01") == "Under 1"  # born after: as the Rust core


def test_display_and_dfe_labels_are_views_of_the_same_bands() -> None:
    codes = np.arange(len(rules.AGE_BANDS) + 1, dtype=np.uint16)
    shown, dfe = rules.band_labels(codes), rules.band_labels(codes, dfe=True)
    assert list(shown) == [*rules.AGE_BANDS, "Unknown"]
    assert list(dfe) == [*rules.DFE_AGE_BANDS, "Unknown"]
    assert len(rules.AGE_BAND_FROM) == len(rules.AGE_BANDS) == len(rules.DFE_AGE_BANDS)


def test_bands_agree_with_the_rust_strata() -> None:
    """Occupancy by age band from the core equals the bands computed here at each spell's
    start, birthdays falling on spell starts included."""
    rng = np.random.default_rng(3)
    n = 400
    starts = rng.integers(d("2015-01-01"), d("2020-01-01"), n)
    births = starts - rng.integers(0, 18 * 366, n)
    births[::7] = starts[::7] - 365 * rng.integers(0, 18, len(births[::7]))  # near birthdays
    births[::50] = d("2008-02-29")  # born on a 29 February...
    starts[1:3], births[1:3] = [d("2013-02-28"), d("2013-03-01")], d("2012-02-29")  # ...1 or 0
    t = pa.table(
        {
            "child_id": np.arange(n),
            "state": ["Referral"] * n,
            "start": pa.array(starts.astype(np.int32), pa.date32()),
            "end": pa.array((starts + 1).astype(np.int32), pa.date32()),
            "birth_date": pa.array(births.astype(np.int32), pa.date32()),
        }
    )
    j = Journeys.from_arrow(t)
    occ = stats.occupancy(j, "year", age=True)
    got = {}
    for r in occ.to_pylist():
        got[r["age_band"]] = got.get(r["age_band"], 0) + r["entries"]
    ours = rules.band_labels(rules.age_band(births.astype(np.float64), starts))
    names, counts = np.unique(ours, return_counts=True)
    assert got == dict(zip(names.tolist(), counts.tolist(), strict=True))
    assert len(got) == 5


def test_birth_dates_from_months_text_dates_and_nulls() -> None:
    got = rules.birth_days(pa.array(["2010-06", "2010-06-15", None, "2010-06-15T10:00"]))
    assert got[:2].tolist() == [d("2010-06-01"), d("2010-06-15")]
    assert np.isnan(got[2]) and got[3] == d("2010-06-15")
    dates = pa.array([dt.date(2001, 2, 3), None], pa.date32())
    assert rules.birth_days(dates)[0] == d("2001-02-03")
    minutes = rules.birth_minutes(rules.birth_days(dates))
    assert minutes.dtype == np.int32 and minutes.tolist() == [d("2001-02-03") * 1440, -(2**31)]
    with pytest.raises(SchemaError, match="'dob' is not a date"):
        rules.birth_days(pa.array(["soon"]), "dob")
    assert rules.birth_column(["x", "dob", "birth_date"]) == "birth_date"
    assert rules.birth_column(["x"]) is None


def test_unknown_births_band_as_unknown_in_statistics() -> None:
    t = table(
        [(1, "Referral", 0, 5), (2, "Referral", 0, 5)],
        birth_month=["2020-01", None],
    )
    occ = stats.occupancy(Journeys.from_arrow(t), "year", age=True)
    assert sorted(occ.column("age_band").to_pylist()) == ["Under 1", "Unknown"]


def starts(lo: str, hi: str, freq: str) -> list[str]:
    b = rules.period_bounds(to_minutes(lo), to_minutes(hi), freq)  # type: ignore[arg-type]
    return [str(np.datetime64(int(x) // 1440, "D")) for x in b]


def test_periods_weeks_from_monday() -> None:
    # 2024-01-03 was a Wednesday; the week holding it began on Monday 1 January
    assert starts("2024-01-03", "2024-01-08", "week") == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert starts("2024-01-07T23:59", "2024-01-07T23:59", "week") == ["2024-01-01", "2024-01-08"]


def test_periods_quarters_and_years_from_april() -> None:
    assert starts("2024-03-31", "2024-04-01", "quarter") == [
        "2024-01-01",
        "2024-04-01",
        "2024-07-01",
    ]
    assert starts("2024-03-31", "2024-04-01", "year") == ["2023-04-01", "2024-04-01", "2025-04-01"]
    assert starts("2024-04-01", "2024-04-01", "year") == ["2024-04-01", "2025-04-01"]
    assert starts("2024-02-29", "2024-03-01", "month") == ["2024-02-01", "2024-03-01", "2024-04-01"]
    assert starts("2024-02-29", "2024-03-01", "day") == ["2024-02-29", "2024-03-01", "2024-03-02"]
    jan = rules.period_bounds(to_minutes("2024-05-01"), to_minutes("2024-05-01"), "year", 1)
    assert [str(np.datetime64(int(x) // 1440, "D")) for x in jan] == ["2024-01-01", "2025-01-01"]


@pytest.mark.parametrize("freq", rules.FREQS)
def test_period_index_and_start_are_one_calendar(freq: str) -> None:
    m = np.arange(-400 * 1440, 1200 * 1440, 997, dtype=np.int64)  # both sides of 1970
    k = rules.period_index(m, freq)  # type: ignore[arg-type]
    s = rules.period_start(k, freq)  # type: ignore[arg-type]
    assert np.all(s <= m) and np.all(m < rules.period_start(k + 1, freq))  # type: ignore[arg-type]
    assert np.all(np.diff(k) >= 0)
    days = s // 1440
    dates = days.astype("datetime64[D]")
    if freq == "week":
        assert set(((days + 3) % 7).tolist()) == {0}  # Mondays
    if freq == "quarter":
        assert {int(str(x)[5:7]) for x in dates} <= {1, 4, 7, 10}
    if freq == "year":
        assert {str(x)[5:] for x in dates} == {"04-01"}


def test_bad_frequencies_and_ranges() -> None:
    with pytest.raises(ConfigError, match="freq must be day, week"):
        rules.period_index(np.array([0]), "fortnight")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="end is before start"):
        rules.period_bounds(10.0, 0.0, "day")
    with pytest.raises(ConfigError, match="year_start_month"):
        rules.period_bounds(0.0, 10.0, "year", 13)


def test_state_groups() -> None:
    care = rules.states_in_group("Looked after")
    assert "Foster care (other)" in care and "Referral" not in care
    assert stats.Roles.standard().care == care
    assert rules.standard_labels() == [s.label for s in rules.standard_states()]
    assert "Adopted" in rules.states_in_group("Exit")
