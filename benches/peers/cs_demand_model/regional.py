"""The current Social Finance method: cs-demand-model-regional (SocialFinanceDigitalLabs/
cs-demand-model-regional at 03e04a06324a01a4f291ed6182599be4b16a1d5c, 2026-05-22, the
``ssda903`` package), which changes version 0.5.1 in four ways, all taken here:

- ``datacontainer._add_age_change_eps``: an episode that crosses an age bracket's end
  (age in years of YearInDays, an open one aged at the data's end) is split at that
  birthday (DOB + N calendar years), so the stock is by the age *now* and ageing is a
  transition seen in the data (``end_age_bin``); ``prediction.ageing_out`` is gone.
- ``population_stats._calculate_raw_transition_rates``: the previous day's stock even on
  the first day (shifted before truncation); days with no stock (0/0) are left out of
  the mean; transitions go to (``end_age_bin``, ``placement_type_after``).
- ``population_stats.daily_entrants``: the period's length counts both ends (days + 1).
- ``multinomial.MultinomialPredictor``: one linear step a day, population' = M population
  + entrants, M's diagonal 1 less the other rates (not in care absorbs); no capping.
  The reference period defaults to the whole data (``scenario_middleware``:
  ``data_start_date``, the 1 April the first return begins, to ``data_end_date``).

Not taken: ``_remove_redundant_episodes`` (episodes that only change legal status merge
into the one before): it moves nothing between bins, so it cannot change the forecast.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
from carevis.journeys import Journeys
from carevis.stats.backtest import Figures
from carevis.stats.care import observed_from

from .episodes import OPEN_DAY, YEAR_IN_DAYS, Episodes, _neighbours, episodes_from_journeys
from .model import (
    Model,
    _bins,
    _day,
    daily_entrants,
    months_before,
    n_bins,
    stock,
    yearly_figures,
)


def add_years(days: np.ndarray, years: np.ndarray) -> np.ndarray:
    """``DOB + relativedelta(years=n)`` on day numbers (29 February -> 28 February)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12
    day = (d - d.astype("datetime64[M]")).astype(np.int64)
    ny = y + np.asarray(years, dtype=np.int64)
    first = ((ny - 1970) * 12 + m).astype("datetime64[M]")
    length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    out: np.ndarray = (first.astype("datetime64[D]") + np.minimum(day, length - 1)).astype(np.int64)
    return out


def split_at_age_brackets(
    ep: Episodes, data_end: dt.date, year_in_days: float = YEAR_IN_DAYS
) -> Episodes:
    """Their ``_add_age_change_eps``: one piece per bracket an episode runs through, each
    with the bracket it starts in (``age_bin``) and the one its end is in (``end_age_bin``);
    zero-length pieces are dropped; neighbours are found again on the pieces."""
    ends = np.array([b.end for b in ep.brackets], dtype=np.float64)
    last = np.where(ep.DEC == OPEN_DAY, _day(data_end), ep.DEC)
    first = np.searchsorted(ends, (ep.DECOM - ep.DOB) / year_in_days, side="right")
    k = np.searchsorted(ends, (last - ep.DOB) / year_in_days, side="right") - first
    k = np.clip(k, 0, len(ends) - 1 - first)
    rep = np.repeat(np.arange(len(k)), k + 1)
    j = np.arange(len(rep)) - np.repeat(np.cumsum(k + 1) - (k + 1), k + 1)
    kk, f = k[rep], first[rep]
    start_at = add_years(ep.DOB[rep], ends[np.clip(f + j - 1, 0, len(ends) - 1)])
    end_at = add_years(ep.DOB[rep], ends[np.clip(f + j, 0, len(ends) - 1)])
    decom = np.where(j == 0, ep.DECOM[rep], start_at)
    dec = np.where(j == kk, ep.DEC[rep], end_at)
    age_bin = f + j
    end_age_bin = np.where(j < kk, f + j + 1, f + kk)
    keep = (dec > decom) & (age_bin < len(ends)) & (end_age_bin < len(ends))
    child, code = ep.child[rep][keep], ep.placement_type[rep][keep]
    decom, dec = decom[keep], dec[keep]
    before, after = _neighbours(child, decom, dec, code, ep.not_in_care)
    return replace(
        ep,
        child=child,
        DECOM=decom,
        DEC=dec,
        placement_type=code,
        placement_type_before=before,
        placement_type_after=after,
        age_bin=age_bin[keep],
        end_age_bin=end_age_bin[keep],
        DOB=ep.DOB[rep][keep],
    )


def raw_transition_rates(
    ep: Episodes, reference_start: dt.date, reference_end: dt.date
) -> np.ndarray:
    """Daily rates (bins, bins): per day of the reference period, the episodes ending
    that day from (age_bin, placement_type) to (end_age_bin, placement_type_after) over
    the stock of the day before; the mean over the days that had a stock."""
    d0, d1 = _day(reference_start), _day(reference_end)
    days = np.arange(d0, d1 + 1)
    before = stock(ep, days - 1)
    dec = ep.DEC
    ends = (dec >= d0) & (dec <= d1)
    frm = _bins(ep, ep.placement_type)[ends]
    to = _bins(ep, ep.placement_type_after, ep.end_age_bin)[ends]
    held = before[dec[ends] - d0, frm]
    if (held <= 0).any():
        raise ValueError("Invalid calculation: found transitions > 0 where previous stock == 0")
    rates = np.zeros((n_bins(ep), n_bins(ep)))
    np.add.at(rates, (frm, to), 1.0 / held)
    seen = (before > 0).sum(axis=0)
    out: np.ndarray = np.divide(
        rates, seen[:, None], out=np.zeros_like(rates), where=seen[:, None] > 0
    )
    return out


def fit(
    ep: Episodes,
    reference_start: dt.date,
    reference_end: dt.date,
    prediction_start: dt.date | None = None,
) -> Model:
    """``predictor.predict``'s inputs: the stock at the prediction start (the reference
    end by default), the rates (no ageing term: ageing is in the data), the entrants."""
    start = prediction_start or reference_end
    rates = np.zeros((n_bins(ep), n_bins(ep) + 1))
    rates[:, :-1] = raw_transition_rates(ep, reference_start, reference_end)
    entrants = daily_entrants(ep, reference_start, reference_end, inclusive=True)
    return Model(
        stock(ep, np.array([_day(start)]))[0], rates, entrants, start, ep.not_in_care, linear=True
    )


def data_start(history: Journeys) -> dt.date:
    """Their ``data_start_date``: the 1 April the data's first complete year begins."""
    first = observed_from(history)
    if first is None:
        raise ValueError("no spell has ended: no data start")
    year = first.year if first <= dt.date(first.year, 4, 1) else first.year + 1
    return dt.date(year, 4, 1)


def project_figures(
    history: Journeys, as_of: dt.date, years: int, reference_months: int | None = None
) -> Figures:
    """The current method as a backtest projection: fitted on the whole history (or the
    ``reference_months`` to ``as_of``), stepped a day at a time."""
    ep = split_at_age_brackets(episodes_from_journeys(history), as_of)
    start = (
        data_start(history) if reference_months is None else months_before(as_of, reference_months)
    )
    return yearly_figures(fit(ep, start, as_of), as_of, years, ep.categories)
