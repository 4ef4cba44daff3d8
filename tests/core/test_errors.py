"""The exception hierarchy is created in the Rust extension, re-exported by
``carevis.errors``: one set of classes for errors raised in the core and in Python."""

from __future__ import annotations

import datetime as dt
import pickle

import numpy as np
import pyarrow as pa
import pytest
from carevis import _native, errors

NAMES = ["CarevisError", "SchemaError", "DataError", "ExportError", "ConfigError"]


@pytest.mark.parametrize("name", NAMES)
def test_the_classes_are_the_extensions(name: str) -> None:
    cls = getattr(errors, name)
    assert cls is getattr(_native, name)
    assert cls.__module__ == "carevis.errors"
    assert cls.__qualname__ == name
    assert cls.__doc__ and cls.__doc__.strip()


def test_the_hierarchy() -> None:
    for name in NAMES[1:]:
        assert issubclass(getattr(errors, name), errors.CarevisError)
    assert issubclass(errors.CarevisError, Exception)
    assert issubclass(errors.ConfigError, ValueError)
    assert not issubclass(errors.SchemaError, ValueError)
    assert errors.ConfigError.__bases__ == (errors.CarevisError, ValueError)
    assert isinstance(errors.ConfigError("x"), ValueError)


@pytest.mark.parametrize("name", NAMES)
def test_pickling_round_trip(name: str) -> None:
    e = getattr(errors, name)("row 3, column 'start': bad")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is type(e)
    assert back.args == e.args


def test_a_core_schema_error_is_a_schema_error_with_its_message() -> None:
    table = pa.table({"child_id": ["a"], "state": ["CLA"], "start": [dt.date(2020, 1, 1)]})
    with pytest.raises(errors.SchemaError, match="column 'end' is missing") as info:
        _native.Journeys.from_arrow(table)
    assert type(info.value) is errors.SchemaError


def test_a_core_data_error_is_a_data_error_naming_row_and_column() -> None:
    table = pa.table(
        {
            "child_id": ["a"],
            "state": ["CLA"],
            "start": [dt.date(2020, 2, 1)],
            "end": [dt.date(2020, 1, 1)],
        }
    )
    with pytest.raises(errors.DataError, match=r"row 0, column 'end'") as info:
        _native.Journeys.from_arrow(table)
    assert type(info.value) is errors.DataError


def test_a_core_config_error_is_a_config_error_and_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid setting 'colourmap': unknown map 'nope'") as info:
        _native.colour_map("nope")
    assert type(info.value) is errors.ConfigError
    with pytest.raises(errors.ConfigError, match="'on_error'"):
        _native.Journeys.from_arrow(pa.table({"a": [1]}), on_error="drop")


def _native_scene() -> _native.Scene:
    table = pa.table(
        {
            "child_id": ["a", "b"],
            "state": ["CLA", "CLA"],
            "start": [dt.date(2020, 1, 1), dt.date(2020, 2, 1)],
            "end": pa.array([None, None], pa.date32()),
        }
    )
    j = _native.Journeys.from_arrow(table)
    centres = np.full((len(j.states), 2), 0.5, np.float32)
    return _native.Scene(
        j,
        centres,
        base_radius=0.01,
        dot_spacing=0.001,
        transit_minutes=1440.0,
        fade_minutes=1440.0,
        colour="time_in_care",
        lo=0.0,
        hi=1.0,
        lut=_native.colour_map("viridis"),
    )


def test_a_bad_buffer_is_a_config_error() -> None:
    scene = _native_scene()
    n = scene.n_dots
    x = np.zeros(2 * n, np.float32)[::2]  # not contiguous
    y = np.zeros(n, np.float32)
    rgba = np.zeros((n, 4), np.uint8)
    state = np.zeros(n, np.int32)
    with pytest.raises(errors.ConfigError, match="C-contiguous"):
        scene.frame_into(0.0, x, y, rgba, state)


def test_a_bad_emphasis_is_a_config_error_from_the_core() -> None:
    scene = _native_scene()
    n = scene.n_dots
    bufs = (
        np.zeros(n, np.float32),
        np.zeros(n, np.float32),
        np.zeros((n, 4), np.uint8),
        np.zeros(n, np.int32),
    )
    with pytest.raises(errors.ConfigError) as info:
        scene.frame_into(0.0, *bufs, visible=np.ones(n + 1, bool))
    assert str(info.value).startswith("invalid setting")


def test_a_panic_is_a_carevis_error() -> None:
    with pytest.raises(errors.CarevisError, match="internal error in the carevis core") as info:
        _native._panic_for_test()
    assert type(info.value) is errors.CarevisError
