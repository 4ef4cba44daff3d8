# Type stubs for the Rust extension (kept honest by mypy.stubtest in the tests).
from typing import Any, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "COLOUR_MAPS",
    "CarevisError",
    "ConfigError",
    "DataError",
    "ExportError",
    "Journeys",
    "Rasteriser",
    "Scene",
    "SchemaError",
    "__version__",
    "_panic_for_test",
    "_validate_arrow",
    "colour_map",
    "num_threads",
    "stats_care_flows",
    "stats_care_periods",
    "stats_flows",
    "stats_repeats",
    "stats_stability",
    "stats_stock",
    "stats_time_in_state",
    "stats_transitions",
    "stats_waits",
    "synth_england",
]

COLOUR_MAPS: list[str]
__version__: str

class CarevisError(Exception): ...
class SchemaError(CarevisError): ...
class DataError(CarevisError): ...
class ExportError(CarevisError): ...
class ConfigError(CarevisError, ValueError): ...

@final
class Journeys:
    @staticmethod
    def from_arrow(
        data: Any,
        *,
        child_id: str = "child_id",
        state: str = "state",
        start: str = "start",
        end: str = "end",
        states: list[str] | None = None,
        on_error: str = "raise",
    ) -> Journeys: ...
    def _with_table(self, data: Any) -> Journeys: ...
    @property
    def n_children(self) -> int: ...
    @property
    def n_spells(self) -> int: ...
    @property
    def n_rows(self) -> int: ...
    @property
    def states(self) -> list[str]: ...
    def time_range(self) -> tuple[int, int] | None: ...
    def has_open(self) -> bool: ...
    def to_arrow(self) -> Any: ...
    def child_rows(self) -> npt.NDArray[np.uint32]: ...
    def offsets(self) -> npt.NDArray[np.uint32]: ...
    def spells(
        self,
    ) -> tuple[
        npt.NDArray[np.uint32], npt.NDArray[np.uint16], npt.NDArray[np.int32], npt.NDArray[np.int32]
    ]: ...
    def rejected(self) -> list[tuple[int, str, str, str]]: ...
    def rejects_table(self) -> Any: ...
    def attribute(self, name: str) -> Any: ...
    def spell_at(self, dots: npt.NDArray[np.int64], t: int) -> npt.NDArray[np.int64]: ...
    def index_bytes(self) -> int: ...

@final
class Scene:
    def __new__(
        cls,
        journeys: Journeys,
        centres: npt.NDArray[np.float32],
        *,
        base_radius: float,
        dot_spacing: float,
        transit_minutes: float,
        fade_minutes: float,
        colour: str,
        lo: float,
        hi: float,
        lut: npt.NDArray[np.uint8],
        categories: npt.NDArray[np.uint16] | None = None,
        alpha: int = 255,
        seed: int = 12648430,
        gap: float = 0.0,
        projected_from: int | None = None,
        projected_alpha: float = 1.0,
    ) -> Scene: ...
    @property
    def n_dots(self) -> int: ...
    @property
    def spacing(self) -> float: ...
    @property
    def min_cluster_children(self) -> float: ...
    def frame_into(
        self,
        t: float,
        x: npt.NDArray[np.float32],
        y: npt.NDArray[np.float32],
        rgba: npt.NDArray[np.uint8],
        state: npt.NDArray[np.int32],
        visible: npt.NDArray[np.bool_] | None = None,
        highlight: int | None = None,
        dim: float = 0.2,
    ) -> None: ...
    def radii(self, t: float) -> npt.NDArray[np.float32]: ...
    def gpu_tables(
        self,
        dots: npt.NDArray[np.uint32],
        spells: npt.NDArray[np.uint32],
        places: npt.NDArray[np.float32],
    ) -> None: ...
    def gpu_uniforms(
        self, highlight: int | None = None, dim: float = 0.2
    ) -> tuple[list[float], npt.NDArray[np.uint8]]: ...
    @property
    def n_spells(self) -> int: ...
    def occupancy(self) -> tuple[int, int, npt.NDArray[np.uint32]]: ...
    def frame_bytes(self, t: float) -> int: ...
    def frame_line_bytes(self, t: float) -> int: ...

def colour_map(name: str) -> npt.NDArray[np.uint8]: ...
def num_threads() -> int: ...
def _panic_for_test(pool: bool = False) -> None: ...
def _validate_arrow(data: Any) -> None: ...

@final
class Rasteriser:
    def __new__(cls) -> Rasteriser: ...
    def render(
        self,
        x: npt.NDArray[np.float32],
        y: npt.NDArray[np.float32],
        rgba: npt.NDArray[np.uint8],
        out: npt.NDArray[np.uint8],
        *,
        radius_px: float,
        sx: float,
        sy: float,
        tx: float,
        ty: float,
        background: tuple[int, int, int, int],
        region: tuple[int, int] | None = None,
        full: tuple[int, int] | None = None,
    ) -> None: ...

def synth_england(
    scale: float, start_day: int, end_day: int, seed: int, check: bool = False
) -> tuple[
    Any, list[tuple[str, str, int]], list[tuple[str, int | None, float, float, str]] | None
]: ...

# Journey statistics (rust/src/python/stats.rs): pyarrow tables with state, group and
# age-band codes; times in minutes.
def stats_flows(
    journeys: Journeys,
    bounds: npt.NDArray[np.int32],
    groups: npt.NDArray[np.uint16] | None = None,
    n_groups: int = 1,
    births: npt.NDArray[np.int32] | None = None,
) -> Any: ...
def stats_transitions(
    journeys: Journeys,
    bounds: npt.NDArray[np.int32],
    groups: npt.NDArray[np.uint16] | None = None,
    n_groups: int = 1,
    births: npt.NDArray[np.int32] | None = None,
) -> Any: ...
def stats_time_in_state(
    journeys: Journeys,
    as_of: int,
    groups: npt.NDArray[np.uint16] | None = None,
    n_groups: int = 1,
    births: npt.NDArray[np.int32] | None = None,
    curve_step: int = 0,
) -> tuple[Any, Any]: ...
def stats_waits(
    journeys: Journeys,
    t: int,
    groups: npt.NDArray[np.uint16] | None = None,
    n_groups: int = 1,
    births: npt.NDArray[np.int32] | None = None,
) -> Any: ...
def stats_waits_at(
    journeys: Journeys,
    times: npt.NDArray[np.int64],
    states: npt.NDArray[np.bool_],
) -> Any: ...
def stats_care_periods(
    journeys: Journeys,
    care: list[bool],
    placed_for_adoption: int | None = None,
    groups: npt.NDArray[np.uint16] | None = None,
    n_groups: int = 1,
    births: npt.NDArray[np.int32] | None = None,
    placement_order: npt.NDArray[np.bool_] | None = None,
) -> Any: ...
def stats_stability(
    journeys: Journeys,
    care: list[bool],
    bounds: npt.NDArray[np.int32],
    as_of: int,
    groups: npt.NDArray[np.uint16] | None = None,
    n_groups: int = 1,
    births: npt.NDArray[np.int32] | None = None,
) -> Any: ...
def stats_repeats(
    journeys: Journeys,
    states: list[bool],
    window: int,
    bounds: npt.NDArray[np.int32],
    groups: npt.NDArray[np.uint16] | None = None,
    n_groups: int = 1,
    births: npt.NDArray[np.int32] | None = None,
) -> Any: ...
def stats_stock(journeys: Journeys, states: list[bool], ends: npt.NDArray[np.int32]) -> Any: ...
def stats_care_flows(
    journeys: Journeys, care: list[bool], bounds: npt.NDArray[np.int32]
) -> tuple[Any, Any]: ...
def parse_csv_bodies(
    data: list[bytes], starts: list[int], ncols: int, keep: list[int], repeat: list[int] = ...
) -> tuple[
    tuple[list[Any], npt.NDArray[np.int64], list[int]] | None, tuple[int, int, str] | None
]: ...
def child_keys(
    parts: list[tuple[Any, Any]], unknown_la: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], Any]: ...
def dict_indices(arr: Any) -> npt.NDArray[np.int64]: ...
def argsort_stable(keys: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]: ...
def dfe_sequence_rules(
    grp: npt.NDArray[np.int64],
    decom: npt.NDArray[np.int64],
    dec: npt.NDArray[np.int64],
    flags: npt.NDArray[np.uint8],
    null: int,
    header_grp: npt.NDArray[np.int64],
    header_dob: npt.NDArray[np.int64],
) -> dict[str, npt.NDArray[np.int64]]: ...
def latest_in_groups(
    rows: npt.NDArray[np.int64],
    group: list[npt.NDArray[np.int64]],
    minor: npt.NDArray[np.int64],
    content: list[npt.NDArray[np.int64]],
) -> tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.bool_],
    npt.NDArray[np.bool_],
    npt.NDArray[np.bool_],
]: ...
def year_counts(
    file: npt.NDArray[np.int32],
    year: npt.NDArray[np.int32],
    group_of: npt.NDArray[np.int64],
    n_groups: int,
    start: Any,
    start_fy: npt.NDArray[np.int64],
    end: Any,
    end_fy: npt.NDArray[np.int64],
) -> tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def fill_years(
    file: npt.NDArray[np.int32],
    year: npt.NDArray[np.int32],
    year_of: npt.NDArray[np.int64],
    overridden: npt.NDArray[np.bool_],
) -> npt.NDArray[np.int32]: ...
def read_files(paths: list[str], cap: int) -> list[bytes | None]: ...

# --- projections (rust/src/python/project.rs) ---------------------------------------------
@final
class ProjectionModel:
    @property
    def states(self) -> list[str]: ...
    @property
    def groups(self) -> list[str]: ...
    @property
    def by_age(self) -> bool: ...
    @property
    def care_edges(self) -> list[int]: ...
    @property
    def as_of_day(self) -> int: ...
    @property
    def window_days(self) -> int: ...
    @property
    def trend(self) -> list[float]: ...
    @property
    def arrival_trend(self) -> list[float]: ...
    @property
    def trend_damping(self) -> float: ...
    @property
    def n_open(self) -> int: ...
    @property
    def arrivals_per_year(self) -> float: ...
    def cells_used(self) -> int: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> ProjectionModel: ...

def project_fit(
    journeys: Journeys,
    as_of: int,
    window_days: int,
    groups: npt.NDArray[np.uint16] | None = None,
    group_labels: list[str] = ...,
    births: npt.NDArray[np.int32] | None = None,
    trend_years: int = 0,
    trend_damping: float = 1.0,
    care_edges: list[int] = ...,
    arrival_trend: bool = False,
) -> ProjectionModel: ...
def project_run(
    model: ProjectionModel,
    horizon_day: int,
    dates: list[int],
    seed: int = 0,
    runs: int = 1,
    emit: bool = False,
    journeys: Journeys | None = None,
    births: npt.NDArray[np.int32] | None = None,
    groups: npt.NDArray[np.uint16] | None = None,
    entries: list[float] = ...,
    time: list[float] = ...,
    shift: list[tuple[int, int, float]] = ...,
    threads: int | None = None,
    known: tuple[npt.NDArray[Any], ...] | None = None,
) -> tuple[npt.NDArray[np.uint64], dict[str, Any] | None]: ...
def project_arrivals(
    journeys: Journeys,
    from_day: int,
    to_day: int,
    births: npt.NDArray[np.int32] | None = None,
    groups: npt.NDArray[np.uint16] | None = None,
) -> tuple[
    npt.NDArray[np.uint16], npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.uint16]
]: ...
