"""cs-demand-model's statistics and forecast (their ``PopulationStats`` and
``ModelPredictor``) on :class:`Episodes`, as numpy arrays over the bins
(age bracket, placement category), NOT_IN_CARE being the last category of each bracket."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from carevis.journeys import Journeys
from carevis.stats.backtest import Figures

from .episodes import AgeBracket, Episodes, episodes_from_journeys

EPOCH = dt.date(1970, 1, 1)


def _day(d: dt.date) -> int:
    return (d - EPOCH).days


def _bins(ep: Episodes, category: np.ndarray, age_bin: np.ndarray | None = None) -> np.ndarray:
    age = ep.age_bin if age_bin is None else age_bin
    out: np.ndarray = age * (ep.not_in_care + 1) + category
    return out


def n_bins(ep: Episodes) -> int:
    return len(ep.brackets) * (ep.not_in_care + 1)


def stock(ep: Episodes, days: np.ndarray) -> np.ndarray:
    """Episodes open at the end of each day (DECOM <= d < DEC), (len(days), bins)."""
    days = np.asarray(days, dtype=np.int64)
    lo, span = int(days.min()), int(days.max() - days.min()) + 1
    diff = np.zeros((span + 1, n_bins(ep)), dtype=np.float64)
    b = _bins(ep, ep.placement_type)
    np.add.at(diff, (np.clip(ep.DECOM - lo, 0, span), b), 1.0)
    np.add.at(diff, (np.clip(ep.DEC - lo, 0, span), b), -1.0)
    out: np.ndarray = np.cumsum(diff, axis=0)[days - lo]
    return out


def raw_transition_rates(
    ep: Episodes, reference_start: dt.date, reference_end: dt.date
) -> np.ndarray:
    """Daily rates (bins, bins): the mean over the days of the reference period of the
    episodes ending that day, by (age_bin, placement_type) -> (age_bin,
    placement_type_after), over the stock of the day before (the first day: its own)."""
    d0, d1 = _day(reference_start), _day(reference_end)
    days = np.arange(d0, d1 + 1)
    before = stock(ep, np.concatenate([[d0], days[:-1]]))
    dec = ep.DEC
    ends = (dec >= d0) & (dec <= d1)
    frm = _bins(ep, ep.placement_type)[ends]
    to = _bins(ep, ep.placement_type_after, ep.end_age_bin)[ends]
    held = before[dec[ends] - d0, frm]
    weight = np.where(held > 0, 1.0 / np.where(held > 0, held, 1.0), 0.0)
    rates = np.zeros((n_bins(ep), n_bins(ep)))
    np.add.at(rates, (frm, to), weight)
    out: np.ndarray = rates / len(days)
    return out


def daily_entrants(
    ep: Episodes, reference_start: dt.date, reference_end: dt.date, inclusive: bool = False
) -> np.ndarray:
    """Entrants per day (bins): episodes starting a period of care (placement_type_before
    NOT_IN_CARE) in the reference period, over its length in days (end - start; with
    ``inclusive``, as the regional version counts it, end - start + 1)."""
    d0, d1 = _day(reference_start), _day(reference_end)
    decom = ep.DECOM
    new = (decom >= d0) & (decom <= d1) & (ep.placement_type_before == ep.not_in_care)
    out = np.bincount(_bins(ep, ep.placement_type)[new], minlength=n_bins(ep)).astype(np.float64)
    result: np.ndarray = out / (d1 - d0 + int(inclusive))
    return result


def ageing_out(brackets: tuple[AgeBracket, ...], n_categories: int) -> np.ndarray:
    """Their ``ageing_out``: (bins, bins + 1), each bin to the same category of the next
    bracket at 1 / length_in_days a day, the last bracket's out of care (the last column)."""
    n = len(brackets) * n_categories
    rates = np.zeros((n, n + 1))
    for a, bracket in enumerate(brackets):
        for q in range(n_categories):
            to = (a + 1) * n_categories + q if a + 1 < len(brackets) else n
            rates[a * n_categories + q, to] = bracket.daily_probability
    return rates


def transition_population(
    population: np.ndarray, transition_rates: np.ndarray, daily_entrants: np.ndarray, days: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """One step of ``days``: (next population, flows (bins, bins + 1) moved out of each
    bin to each bin or out of care). Transfers out are capped at the stock and shared in
    proportion to the rates; entrants arrive as numbers * days."""
    if days < 1:
        raise ValueError("Days must be greater than 0")
    rates = 1.0 - (1.0 - transition_rates) ** days
    out_rate = rates.sum(axis=1)
    transfer_out = np.clip(population * out_rate, 0.0, np.maximum(population, 0.0))
    share = np.divide(
        rates, out_rate[:, None], out=np.zeros_like(rates), where=out_rate[:, None] > 0
    )
    flows = share * transfer_out[:, None]
    transfer_in = flows[:, :-1].sum(axis=0) + daily_entrants * days
    return population - transfer_out + transfer_in, flows


def linear_step(
    population: np.ndarray, transition_rates: np.ndarray, daily_entrants: np.ndarray, days: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The regional version's ``MultinomialPredictor.next``: ``days`` times, population'
    = M population + entrants (M's diagonal is 1 less the other rates); the flows summed."""
    flows = np.zeros_like(transition_rates)
    for _ in range(days):
        moved = transition_rates * population[:, None]
        flows += moved
        population = population - moved.sum(axis=1) + moved[:, :-1].sum(axis=0) + daily_entrants
    return population, flows


@dataclass(frozen=True)
class Prediction:
    """A forecast: for each day (``days``, days since 1970) the population per bin, and
    the children who started / ceased to be looked after in the step ending that day."""

    days: np.ndarray
    population: np.ndarray
    started: np.ndarray
    ceased: np.ndarray
    n_categories: int

    def by_category(self) -> np.ndarray:
        """Children looked after per placement category (days, categories)."""
        per = self.population.reshape(len(self.days), -1, self.n_categories + 1)
        out: np.ndarray = per[:, :, : self.n_categories].sum(axis=1)
        return out


@dataclass(frozen=True)
class Model:
    """``ModelPredictor.from_model``: the stock at ``prediction_start``, the transition
    rates with ageing (the last column: out of care) and the daily entrants."""

    population: np.ndarray
    transition_rates: np.ndarray
    daily_entrants: np.ndarray
    prediction_start: dt.date
    n_categories: int
    #: The regional version's step (:func:`linear_step`) instead of version 0.5.1's.
    linear: bool = False

    def predict(self, steps: int, step_days: int = 1) -> Prediction:
        nic = self.n_categories
        in_care = (np.arange(len(self.population)) % (nic + 1)) != nic
        leaving = ~np.append(in_care, False)
        pops, started, ceased = [self.population], [0.0], [0.0]
        pop = self.population
        for _ in range(steps):
            if self.linear:
                pop, flows = linear_step(pop, self.transition_rates, self.daily_entrants, step_days)
            else:
                pop, flows = transition_population(
                    pop, self.transition_rates, self.daily_entrants, step_days
                )
            pops.append(pop)
            started.append(float(self.daily_entrants.sum()) * step_days)
            ceased.append(float(flows[in_care][:, leaving].sum()))
        first = _day(self.prediction_start)
        return Prediction(
            np.arange(steps + 1) * step_days + first,
            np.array(pops),
            np.array(started),
            np.array(ceased),
            nic,
        )


def fit(
    ep: Episodes,
    reference_start: dt.date,
    reference_end: dt.date,
    prediction_start: dt.date | None = None,
) -> Model:
    """``ModelPredictor.from_model(PopulationStats(...), reference_start, reference_end,
    prediction_start)``: the prediction starts at the reference end by default."""
    start = prediction_start or reference_end
    rates = np.zeros((n_bins(ep), n_bins(ep) + 1))
    rates[:, :-1] = raw_transition_rates(ep, reference_start, reference_end)
    rates += ageing_out(ep.brackets, ep.not_in_care + 1)
    return Model(
        stock(ep, np.array([_day(start)]))[0],
        rates,
        daily_entrants(ep, reference_start, reference_end),
        start,
        ep.not_in_care,
    )


def months_before(d: dt.date, months: int) -> dt.date:
    """``d - relativedelta(months=months)`` (the day clipped to the month's length)."""
    k = d.year * 12 + d.month - 1 - months
    y, m = divmod(k, 12)
    nxt = dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
    return dt.date(y, m + 1, min(d.day, (nxt - dt.timedelta(days=1)).day))


def project_figures(
    history: Journeys, as_of: dt.date, years: int, reference_months: int = 6
) -> Figures:
    """Version 0.5.1 as a backtest projection: fitted on the ``reference_months`` to
    ``as_of`` (their default: six), stepped a day at a time to the ``years``-th 31 March
    after."""
    ep = episodes_from_journeys(history)
    model = fit(ep, months_before(as_of, reference_months), as_of)
    return yearly_figures(model, as_of, years, ep.categories)


def yearly_figures(
    model: Model, as_of: dt.date, years: int, categories: tuple[str, ...]
) -> Figures:
    """A day-by-day forecast from ``as_of`` read as the backtest's figures: the stock at
    each of the ``years`` 31 Marches after, the starts and exits of each year to it."""
    span = [as_of.year + k for k in range(1, years + 1)]
    last = _day(dt.date(span[-1], 3, 31))
    pred = model.predict(last - _day(as_of))
    cats = pred.by_category()
    stock_rows, started, ceased = [], [], []
    for y in span:
        lo, hi = _day(dt.date(y - 1, 4, 1)), _day(dt.date(y, 3, 31))
        step = (pred.days >= lo) & (pred.days <= hi)
        stock_rows.append(cats[pred.days == hi][0])
        started.append(pred.started[step].sum())
        ceased.append(pred.ceased[step].sum())
    return Figures(
        tuple(span), categories, np.array(stock_rows), np.array(started), np.array(ceased)
    )
