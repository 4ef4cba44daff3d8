"""Colour that means something (issue 17, item 5): the continuous maps are the library's
tables entry for entry; a category's colour follows its code, not what else is present;
153 councils get 153 distinct colours, none close to a light or a dark background;
ethnic groups come in the DfE's order with fixed colours."""

from __future__ import annotations

import colorcet
import numpy as np
import pytest
from carevis import Journeys, Scene, _native
from carevis.scene import councils, palettes
from carevis.scene.settings import EmptyFilterWarning
from matplotlib import _cm_listed

from tests.conftest import day, table
from tests.scene.colour_math import DARK, LIGHT, closest_pair, de2000, from_background, lab

# --- the continuous maps -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["viridis", "cividis"])
def test_maps_are_matplotlibs_tables_entry_for_entry(name: str) -> None:
    """The engine embeds the tables; matplotlib's data is the truth (rounded to bytes as
    matplotlib.colors.to_hex does)."""
    want = np.round(np.asarray(getattr(_cm_listed, f"_{name}_data")) * 255).astype(np.uint8)
    got = np.asarray(_native.colour_map(name))
    assert got.shape == (256, 4) and (got[:, 3] == 255).all()
    np.testing.assert_array_equal(got[:, :3], want)


def test_the_default_colouring_uses_the_exact_viridis() -> None:
    s = Scene(Journeys.from_arrow(table([(1, "Referral", 0, None)])))
    want = np.round(np.asarray(_cm_listed._viridis_data) * 255).astype(np.uint8)
    np.testing.assert_array_equal(s.legend.colours[:, :3], want)


# --- the categorical palette -----------------------------------------------------------------


def colorcet_table() -> np.ndarray:
    hexes = colorcet.palette[palettes.GLASBEY]
    return np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in hexes], np.uint8)


def test_palette_is_colorcets_in_its_order_less_the_too_dark_and_too_pale() -> None:
    table_ = colorcet_table()
    got = palettes.glasbey()
    assert got.shape == (208, 4) and not got.flags.writeable
    lightness = lab(table_)[:, 0]
    keep = (lightness >= 30) & (lightness <= 75)
    np.testing.assert_array_equal(got[:, :3], table_[keep])


def test_palette_colours_are_distinct_and_off_both_backgrounds() -> None:
    p = palettes.glasbey()[:, :3]
    assert len({tuple(c) for c in p}) == len(p)
    assert closest_pair(p) > 3.5  # above a just-noticeable difference (about 2.3)
    assert from_background(p, LIGHT) >= 20 and from_background(p, DARK) >= 20
    unknown = np.array([palettes.UNKNOWN_COLOUR])
    assert float(de2000(lab(p), lab(unknown)).min()) > 10  # "Unknown" grey is no palette colour


# --- councils ----------------------------------------------------------------------------------


def current_codes() -> list[str]:
    return [c.code for c in councils.england_councils() if c.current]


def test_england_list_has_153_councils_with_their_ons_codes() -> None:
    codes = current_codes()
    assert len(codes) == len(set(codes)) == 153
    assert all(c[:3] in {"E06", "E08", "E09", "E10"} and len(c) == 9 for c in codes)
    names = {c.code: c.name for c in councils.england_councils()}
    assert names["E06000001"] == "Hartlepool" and names["E09000001"] == "City of London"
    assert names["E06000064"] == "Westmorland and Furness" and "E10000006" not in codes


#: DfE three-digit codes checked by hand against the DfE's list and council names.
DFE = {
    "201": ("E09000001", "City of London"),
    "202": ("E09000007", "Camden"),
    "420": ("E06000053", "Isles of Scilly"),
    "805": ("E06000001", "Hartlepool"),
    "886": ("E10000016", "Kent"),
    "938": ("E10000032", "West Sussex"),
    "839": ("E06000058", "Bournemouth, Christchurch and Poole"),
    "838": ("E06000059", "Dorset"),
    "940": ("E06000061", "North Northamptonshire"),
    "941": ("E06000062", "West Northamptonshire"),
    "942": ("E06000063", "Cumberland"),
    "943": ("E06000064", "Westmorland and Furness"),
    "815": ("E06000065", "North Yorkshire"),
}


def test_every_council_has_one_dfe_code_and_one_palette_place() -> None:
    rows = councils.england_councils()
    current = [c for c in rows if c.current]
    dfe = [c.dfe_code for c in current]
    assert len(set(dfe)) == 153 and all(len(d) == 3 and d.isdigit() for d in dfe)
    assert len({c.slot for c in current}) == 153
    slots: dict[str, set[int]] = {}
    for (
        c
    ) in rows:  # a DfE code never names two places (825 is Buckinghamshire before and after 2020)
        slots.setdefault(c.dfe_code, set()).add(c.slot)
    assert all(len(s) == 1 for s in slots.values())
    by_code = {c.code: c for c in rows}
    for d, (code, name) in DFE.items():
        assert (by_code[code].dfe_code, by_code[code].name) == (d, name)
    for c in rows:  # a recoded council keeps its colour; an abolished one has its own
        if c.same_as:
            assert by_code[c.same_as].slot == c.slot and by_code[c.same_as].dfe_code == c.dfe_code
        elif not c.current:
            assert c.slot >= 153 and c.ended


def test_153_councils_get_153_distinct_colours_off_the_background() -> None:
    names, slot = councils.slot_names(), councils.council_slots()
    for codes in (current_codes(), [f"E{6 + i % 4:02}{1 + i:06}" for i in range(153)]):
        got = palettes.assign("la", list(reversed(codes)))
        # one entry each: a known council by its name, any other value as it is
        assert got.labels == sorted({names[slot[c]] if c in slot else c for c in codes})
        colours = got.colours[:, :3]
        assert len({tuple(c) for c in colours}) == len(colours) >= 150
        assert from_background(colours, LIGHT) >= 20 and from_background(colours, DARK) >= 20
        assert closest_pair(colours) > 3.5


def colour_of(assigned: palettes.Assigned, label: str) -> tuple[int, ...]:
    return assigned.colour(label)


def test_a_councils_colour_follows_its_code_not_the_others() -> None:
    codes = current_codes()
    alone = palettes.assign("la", ["E08000025"])
    with_all = palettes.assign("la", codes)
    with_some = palettes.assign("la", ["E10000016", "E08000025", "E09000001", "Unknown"])
    assert colour_of(alone, "E08000025") == colour_of(with_all, "E08000025")
    assert colour_of(with_some, "E08000025") == colour_of(with_all, "E08000025")
    # a name, and a code recoded in 2023, share the code's colour
    both = palettes.assign("la", ["Hartlepool", "E06000001", "E10000023", "E06000065"])
    assert colour_of(both, "Hartlepool") == colour_of(both, "E06000001")
    assert colour_of(both, "E10000023") == colour_of(both, "E06000065")
    assert both.labels == ["Hartlepool", "North Yorkshire"]
    assert with_some.labels[-1] == "Unknown"
    assert colour_of(with_some, "Unknown")[:3] == palettes.UNKNOWN_COLOUR


def test_a_three_digit_councils_colour_does_not_depend_on_the_others_present() -> None:
    """Issue 17 item 5: DfE three-digit codes (as SSDA903 and CIN returns carry them) had
    colours by sorted order, so Camden's changed with who else was in the data."""
    dfe = [c.dfe_code for c in councils.england_councils() if c.current]
    rng = np.random.default_rng(5)
    camden = palettes.assign("la", ["202"]).colour("202")
    for _ in range(20):
        some = list(rng.choice(dfe, size=int(rng.integers(1, 60)), replace=False))
        got = palettes.assign("la", [*some, "202", "Unknown"])
        assert got.colour("202") == camden
        assert len(set(map(got.colour, some))) == len(set(some))  # still one colour each
    assert palettes.assign("la", dfe).colour("202") == camden
    assert palettes.assign("la", ["201", "202", "203"]).labels == [
        "Camden",
        "City of London",
        "Greenwich",
    ]


def test_the_dfe_code_the_ons_code_and_the_name_agree() -> None:
    """A council named three ways has one colour and one legend entry, its name."""
    for d, (code, name) in DFE.items():
        got = palettes.assign("la", [d, code, name.upper(), "Unknown"])
        assert got.labels == [name, "Unknown"]
        assert got.colour(d) == got.colour(code) == got.colour(name.upper())
        assert palettes.assign("la", [code]).colour(code) == got.colour(d)
    all_dfe = palettes.assign("la", [c.dfe_code for c in councils.england_councils()])
    all_ons = palettes.assign("la", [c.code for c in councils.england_councils()])
    for c in councils.england_councils():
        assert all_dfe.colour(c.dfe_code) == all_ons.colour(c.code), c.code


def test_councils_abolished_since_2015_keep_apart_from_their_successors() -> None:
    """Dorset County (835), Bournemouth (837) and Poole (836) before the 2019 unitaries,
    Northamptonshire (928) before its 2021 split, Cumbria (909) before its 2023 split:
    each its own colour and name, apart from the councils that followed them."""
    old = ["835", "836", "837", "928", "909"]
    new = ["838", "839", "940", "941", "942", "943"]
    got = palettes.assign("la", [*old, *new])
    assert len({got.colour(v) for v in old + new}) == 11
    assert "Dorset (to 2019)" in got.labels and "Dorset" in got.labels
    assert {"Bournemouth", "Poole", "Northamptonshire", "Cumbria"} <= set(got.labels)
    assert palettes.assign("la", ["Dorset (to 2019)"]).colour("Dorset (to 2019)") == got.colour(
        "835"
    )
    # and a council recoded with its DfE code unchanged is one council
    bucks = palettes.assign("la", ["825", "E10000002", "E06000060"])
    assert bucks.labels == ["Buckinghamshire"]


def test_other_council_values_take_colours_no_council_present_has() -> None:
    got = palettes.assign("la", [*current_codes()[:100], "999", "X"])
    colours = [tuple(c) for c in got.colours]
    assert len(set(colours)) == len(colours) == 102


# --- ethnicity -------------------------------------------------------------------------------


def test_every_dfe_ethnicity_code_has_a_colour_off_both_backgrounds() -> None:
    codes = [c for c, _ in palettes.ethnicity_codes()]
    assert codes[0] == "WBRI" and codes[-2:] == ["REFU", "NOBT"] and len(codes) == 20
    assert set(codes) == set(palettes.ETHNICITY_COLOURS)
    colours = np.array([palettes.ETHNICITY_COLOURS[c] for c in codes] + [palettes.UNKNOWN_COLOUR])
    assert from_background(colours, LIGHT) >= 15 and from_background(colours, DARK) >= 25
    assert closest_pair(colours) >= 10
    white_british = lab(np.array(palettes.ETHNICITY_COLOURS["WBRI"]))
    assert 35 < white_british[0] < 65  # a mid blue: neither black nor white


def test_ethnic_groups_come_in_the_dfes_order_with_fixed_colours() -> None:
    got = palettes.assign("ethnicity", ["Other", "Black", "White", "Asian", "Mixed", "Unknown"])
    assert got.labels == ["White", "Mixed", "Asian", "Black", "Other", "Unknown"]
    codes = palettes.assign("ethnicity", ["NOBT", "BAFR", "WBRI", "AIND", "White British"])
    assert codes.labels == ["WBRI", "White British", "AIND", "BAFR", "NOBT"]
    assert colour_of(codes, "White British") == colour_of(codes, "WBRI")
    assert colour_of(got, "White") == colour_of(codes, "WBRI")
    alone = palettes.assign("ethnicity", ["Black"])
    assert colour_of(alone, "Black") == colour_of(got, "Black")
    # the merged-data mix-up the issue saw: "White" black, "Black" yellow
    assert colour_of(got, "White")[:3] == palettes.ETHNICITY_COLOURS["WBRI"]
    assert colour_of(got, "Black")[:3] == palettes.ETHNICITY_COLOURS["BCRB"]


def scene_with(values: list[str | None], colour: str) -> Scene:
    rows = [(i + 1, "Referral", 0, None) for i in range(len(values))]
    return Scene(Journeys.from_arrow(table(rows, **{colour: values})), colour=colour, alpha=1.0)


def test_a_codes_colour_on_the_dots_is_the_same_with_and_without_other_codes() -> None:
    for colour, code, others in (
        ("ethnicity", "WBRI", ["BAFR", "ABAN", None, "ZZZZ"]),
        ("la", "E06000001", ["E09000033", "E10000034", "201"]),
    ):
        alone, mixed = scene_with([code], colour), scene_with([*others, code], colour)
        shown = "Hartlepool" if colour == "la" else code  # the legend names a council
        for s in (alone, mixed):
            dot = s.journeys.child_ids.to_pylist().index(len(s.journeys.child_ids))
            rgba = s.frame(day(1)).rgba[dot]
            legend = s.legend.colours[s.legend.categories.index(shown)]
            assert tuple(rgba[:3]) == tuple(legend[:3])
        a = alone.legend.colours[alone.legend.categories.index(shown)]
        b = mixed.legend.colours[mixed.legend.categories.index(shown)]
        assert tuple(a) == tuple(b)
    assert scene_with(["E06000001"], "la").legend.title == "Council"


def test_dots_of_one_council_named_three_ways_are_one_legend_entry() -> None:
    """DfE code 202, ONS code E09000007 and "Camden" on three children: one colour on
    the dots, one legend entry "Camden"; City of London's 201 its own."""
    s = scene_with(["202", "E09000007", "Camden", "201"], "la")
    assert s.legend.categories == ["Camden", "City of London"]
    rgba = s.frame(day(1)).rgba
    ids = s.journeys.child_ids.to_pylist()
    camden = [tuple(rgba[ids.index(k)][:3]) for k in (1, 2, 3)]
    assert len(set(camden)) == 1 and camden[0] == tuple(s.legend.colours[0][:3])
    assert tuple(rgba[ids.index(4)][:3]) == tuple(s.legend.colours[1][:3])


def test_age_bands_in_age_order_along_viridis() -> None:
    got = palettes.assign("age_band", ["16+", "Unknown", "Under 1", "5-9"])
    assert got.labels == ["Under 1", "5-9", "16+", "Unknown"]
    ramp = np.asarray(_native.colour_map("viridis"))
    assert colour_of(got, "Under 1") == tuple(int(v) for v in ramp[0])
    assert colour_of(got, "Unknown")[:3] == palettes.UNKNOWN_COLOUR


def test_other_columns_are_sorted_with_unknown_last() -> None:
    got = palettes.assign("placement_provider", ["b", "Unknown", "a"])
    assert got.labels == ["a", "b", "Unknown"]
    p = palettes.glasbey()
    assert colour_of(got, "a") == tuple(int(v) for v in p[0])


def test_sex_has_fixed_colours_whichever_codes_the_return_used() -> None:
    old = palettes.assign("sex", ["2", "1", "Unknown"])
    new = palettes.assign("sex", ["F", "M", "U"])
    assert colour_of(old, "1") == colour_of(new, "M") != colour_of(new, "F") == colour_of(old, "2")
    assert colour_of(new, "U")[:3] == palettes.UNKNOWN_COLOUR and old.labels[-1] == "Unknown"
    assert colour_of(palettes.assign("sex", ["F"]), "F") == colour_of(new, "F")


def test_a_filter_on_a_council_keeps_its_children_by_any_of_its_codes() -> None:
    """The legend (and the HTML page's filter) names a council: a filter on that name
    keeps the children the data gives its DfE or ONS code."""
    s = scene_with(["202", "E09000007", "Camden", "201", None], "la")
    assert s.filter_mask(la="Camden").sum() == 3
    assert s.filter_mask(la="202").sum() == 3
    assert s.filter_mask(la="City of London").sum() == 1
    with pytest.warns(EmptyFilterWarning, match="Kent"):
        assert s.filter_mask(la=["Camden", "Kent"]).sum() == 3
