"""Mistyped names and filters that match nothing (issue 17, item 7): a typo in a name is
a ConfigError listing the valid names (and the closest, where one is close); a filter that
shows no child warns instead of silently emptying the picture."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import carevis
import numpy as np
import pytest
from carevis.errors import ConfigError, SchemaError, UnknownColumnError
from carevis.scene import EmptyFilterWarning

from tests.journey_tables import make_table

J = carevis.Journeys.from_arrow(make_table(200, seed=1))  # with `la` and `sex`
S = carevis.Scene(J)


TYPOS = [
    (lambda: carevis.Scene(J, colour="time_in_cre"), "colour 'time_in_cre'", "time_in_care"),
    (lambda: carevis.Scene(J, colour="sx"), "colour 'sx'", "sex"),
    (lambda: carevis.Scene(J, layout="pathwya"), "layout 'pathwya'", "pathway"),
    (lambda: carevis.Scene(J, colourmap="virdis"), "colourmap 'virdis'", "viridis"),
    (lambda: S.filter_mask(sexx="F"), "filter column 'sexx'", "sex"),
    (lambda: S.with_filter(highlight="Foster cre"), "state to highlight 'Foster cre'",
     "Foster care (other)"),
    (lambda: S.replace(colur="la"), "scene setting 'colur'", "colour"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "what", "closest"), TYPOS)
def test_a_typo_is_a_config_error_naming_the_closest(
    make: Callable[[], object], what: str, closest: str
) -> None:
    with pytest.raises(ConfigError) as e:
        make()
    assert str(e.value).startswith(f"unknown {what}; did you mean {closest!r}? (valid: ")


def test_the_valid_names_are_listed() -> None:
    with pytest.raises(ConfigError) as e:
        carevis.Scene(J, colour="zzz")
    msg = str(e.value)
    assert "did you mean" not in msg  # nothing close
    for valid in ("time_in_care", "time_in_state", "entries", "age_band", "la", "sex"):
        assert repr(valid) in msg
    assert "child_id" not in msg  # an identifier is never offered as a colour
    with pytest.raises(ConfigError) as e:
        carevis.Scene(J, layout="nope")
    assert all(repr(v) in str(e.value) for v in ("auto", "pathway", "circle"))
    with pytest.raises(ConfigError) as e:
        S.with_filter(highlight="Nowhere")
    assert all(repr(s) in str(e.value) for s in S.states)


def test_a_missing_attribute_is_both_a_config_and_a_schema_error() -> None:
    with pytest.raises(
        UnknownColumnError, match=r"column 'sexy' is missing .*did you mean 'sex'\?"
    ):
        J.attribute("sexy")
    with pytest.raises(ConfigError):
        J.attribute("nope")
    with pytest.raises(SchemaError, match=r"columns present: child_id"):
        J.attribute("nope")
    with pytest.raises(SchemaError):
        S.filter_mask(nope="x")


def test_an_empty_filter_warns() -> None:
    with pytest.warns(EmptyFilterWarning, match="matches none of the 200 children"):
        empty = S.with_filter(np.zeros(S.n_dots, bool))
    assert empty.emphasis is not None and not empty.emphasis.visible.any()  # still drawn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S.with_filter(np.eye(1, S.n_dots, dtype=bool)[0])  # one child: no warning
        S.with_filter(None)


def test_a_filter_value_no_child_has_warns_with_the_closest() -> None:
    la = sorted(set(J.attribute("la").to_pylist()))[0]
    with pytest.warns(EmptyFilterWarning, match=f"no child has la '{la}x': did you mean '{la}'\\?"):
        mask = S.filter_mask(la=la + "x")
    assert not mask.any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert S.filter_mask(la=la).any()
